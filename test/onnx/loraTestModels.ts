/** Builds tiny ONNX models in memory with the project's own protobuf schema (test support, no tests here). */
import * as protobuf from 'protobufjs';
import { encodeOnnxModel, OnnxDataType, type OnnxNodeProto, type OnnxTensorProto } from '../../src/onnx/onnxProto.js';

/**
 * ValueInfoProto bytes (onnx.proto: name 1, type 2): TypeProto{tensor_type=1: {elem_type=1, shape=2}},
 * each dimension a dim_value (number, field 1) or a dim_param (string, field 2). Float unless `elemType`.
 */
export function valueInfo(name: string, dims: (number | string)[], elemType: number = OnnxDataType.FLOAT): Uint8Array {
  const shape = protobuf.Writer.create();
  for (const d of dims) {
    const dim = protobuf.Writer.create();
    if (typeof d === 'number') dim.uint32((1 << 3) | 0).int64(d);
    else dim.uint32((2 << 3) | 2).string(d);
    shape.uint32((1 << 3) | 2).bytes(dim.finish());
  }
  const tensorType = protobuf.Writer.create()
    .uint32((1 << 3) | 0)
    .int32(elemType)
    .uint32((2 << 3) | 2)
    .bytes(shape.finish())
    .finish();
  const type = protobuf.Writer.create()
    .uint32((1 << 3) | 2)
    .bytes(tensorType)
    .finish();
  return protobuf.Writer.create()
    .uint32((1 << 3) | 2)
    .string(name)
    .uint32((2 << 3) | 2)
    .bytes(type)
    .finish();
}

/** A float32 initializer stored in raw_data. */
export function rawFloatTensor(name: string, dims: number[], values: number[]): OnnxTensorProto {
  return { name, dims, dataType: OnnxDataType.FLOAT, rawData: new Uint8Array(Float32Array.from(values).buffer) };
}

/** A model with one graph: nodes, initializers, float input `x` and output `y`. */
export function buildModel(
  nodes: OnnxNodeProto[],
  initializers: OnnxTensorProto[],
  xDims: number[],
  yDims: number[],
): Uint8Array {
  return encodeOnnxModel({
    irVersion: 8,
    producerName: 'fewstep-test',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      node: nodes,
      initializer: initializers,
      input: [valueInfo('x', xDims)],
      output: [valueInfo('y', yDims)],
    } as never,
  });
}
