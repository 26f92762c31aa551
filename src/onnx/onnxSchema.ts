/**
 * The part of ONNX's `onnx.proto` (proto2, package `onnx`) that fewstep reads and edits, as a
 * protobufjs JSON descriptor. Written for this project from the public spec's field numbers.
 *
 * Rule of this file: every field of the messages below is declared, so encoding writes fields
 * back in field-number order, which is the order the ONNX exporters (C++ protobuf) write them:
 * decode -> encode of an unchanged model gives the same bytes. Sub-messages that fewstep never
 * looks into (ValueInfoProto, TypeProto, SparseTensorProto, FunctionProto, TrainingInfoProto,
 * TensorAnnotation, ...) are declared as `bytes`: a length-delimited field decodes to its raw
 * bytes and is written back unchanged. Fields added by later ONNX versions that are not declared
 * here are kept by protobufjs as unknown fields (the decoder runs with `discardUnknown = false`)
 * and re-emitted after the declared ones.
 */

type FieldJson = { type: string; id: number; rule?: 'repeated'; options?: { packed?: boolean } };

function field(type: string, id: number): FieldJson {
  return { type, id };
}
function repeated(type: string, id: number, packed = false): FieldJson {
  return packed ? { type, id, rule: 'repeated', options: { packed: true } } : { type, id, rule: 'repeated' };
}

const proto2 = 'proto2';

/** protobufjs JSON descriptor of the ONNX messages fewstep edits (package `onnx`). */
export const ONNX_PROTO_JSON = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: {
          edition: proto2,
          fields: { key: field('string', 1), value: field('string', 2) },
        },
        OperatorSetIdProto: {
          edition: proto2,
          fields: { domain: field('string', 1), version: field('int64', 2) },
        },
        TensorProto: {
          edition: proto2,
          fields: {
            dims: repeated('int64', 1),
            dataType: field('int32', 2),
            segment: field('bytes', 3),
            floatData: repeated('float', 4, true),
            int32Data: repeated('int32', 5, true),
            stringData: repeated('bytes', 6),
            int64Data: repeated('int64', 7, true),
            name: field('string', 8),
            rawData: field('bytes', 9),
            doubleData: repeated('double', 10, true),
            uint64Data: repeated('uint64', 11, true),
            docString: field('string', 12),
            externalData: repeated('StringStringEntryProto', 13),
            dataLocation: field('int32', 14),
            metadataProps: repeated('StringStringEntryProto', 16),
          },
        },
        AttributeProto: {
          edition: proto2,
          fields: {
            name: field('string', 1),
            f: field('float', 2),
            i: field('int64', 3),
            s: field('bytes', 4),
            t: field('TensorProto', 5),
            g: field('GraphProto', 6),
            floats: repeated('float', 7),
            ints: repeated('int64', 8),
            strings: repeated('bytes', 9),
            tensors: repeated('TensorProto', 10),
            graphs: repeated('GraphProto', 11),
            docString: field('string', 13),
            tp: field('bytes', 14),
            typeProtos: repeated('bytes', 15),
            type: field('int32', 20),
            refAttrName: field('string', 21),
            sparseTensor: field('bytes', 22),
            sparseTensors: repeated('bytes', 23),
          },
        },
        NodeProto: {
          edition: proto2,
          fields: {
            input: repeated('string', 1),
            output: repeated('string', 2),
            name: field('string', 3),
            opType: field('string', 4),
            attribute: repeated('AttributeProto', 5),
            docString: field('string', 6),
            domain: field('string', 7),
            overload: field('string', 8),
            metadataProps: repeated('StringStringEntryProto', 9),
          },
        },
        GraphProto: {
          edition: proto2,
          fields: {
            node: repeated('NodeProto', 1),
            name: field('string', 2),
            initializer: repeated('TensorProto', 5),
            docString: field('string', 10),
            input: repeated('bytes', 11),
            output: repeated('bytes', 12),
            valueInfo: repeated('bytes', 13),
            quantizationAnnotation: repeated('bytes', 14),
            sparseInitializer: repeated('bytes', 15),
            metadataProps: repeated('StringStringEntryProto', 16),
          },
        },
        ModelProto: {
          edition: proto2,
          fields: {
            irVersion: field('int64', 1),
            producerName: field('string', 2),
            producerVersion: field('string', 3),
            domain: field('string', 4),
            modelVersion: field('int64', 5),
            docString: field('string', 6),
            graph: field('GraphProto', 7),
            opsetImport: repeated('OperatorSetIdProto', 8),
            metadataProps: repeated('StringStringEntryProto', 14),
            trainingInfo: repeated('bytes', 20),
            functions: repeated('bytes', 25),
          },
        },
      },
    },
  },
};
