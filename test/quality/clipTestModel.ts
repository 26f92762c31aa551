/**
 * A tiny SceneCLIP folder built in memory for tests (same contract as models/scenes-clip): the image
 * encoder is mean RGB x Wi then L2-normalised, the text encoder is the token ids (as floats) x Wt then
 * L2-normalised, so a test can work out the embeddings by hand. Test support, no tests here.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeOnnxModel, OnnxDataType, type OnnxNodeProto, type OnnxTensorProto } from '../../src/onnx/onnxProto.js';
import { valueInfo } from '../onnx/loraTestModels.js';

const repo = path.resolve(__dirname, '..', '..', '..');
/** The scenes tokenizer (model_max_length 32), as models/scenes-clip/tokenizer links to it. */
export const SCENES_TOKENIZER = path.join(repo, 'models', 'scenes-teacher', 'tokenizer');
export const SEQ_LEN = 32;

function floats(name: string, dims: number[], values: readonly number[]): OnnxTensorProto {
  return { name, dims, dataType: OnnxDataType.FLOAT, rawData: new Uint8Array(Float32Array.from(values).buffer) };
}

function model(nodes: OnnxNodeProto[], init: OnnxTensorProto[], input: Uint8Array, output: Uint8Array): Uint8Array {
  return encodeOnnxModel({
    irVersion: 8,
    producerName: 'fewstep-test',
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'g', node: nodes, initializer: init, input: [input], output: [output] } as never,
  });
}

/** The weights of a test model: Wi is 3 x dim (row-major), Wt is SEQ_LEN x dim. */
export interface ClipTestWeights {
  dim: number;
  wi: number[];
  wt: number[];
}

/** Default weights: Wi puts R, G, B on the first three axes; Wt spreads token positions over the axes. */
export function defaultWeights(dim = 4): ClipTestWeights {
  const wi = Array.from({ length: 3 * dim }, (_, k) => (Math.floor(k / dim) === k % dim ? 1 : 0));
  const wt = Array.from({ length: SEQ_LEN * dim }, (_, k) => Math.cos(0.7 * Math.floor(k / dim) + 1.3 * (k % dim)));
  return { dim, wi, wt };
}

/**
 * Writes a SceneCLIP folder under a new temporary folder and returns its path: config.json (embed_dim
 * = `configDim`, default the weights' dim), image_encoder/, text_encoder/, tokenizer -> SCENES_TOKENIZER.
 */
export function writeClipTestModel(w: ClipTestWeights = defaultWeights(), configDim = w.dim): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-clip-'));
  const dir = path.join(root, 'scenes-clip');
  fs.mkdirSync(path.join(dir, 'image_encoder'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'text_encoder'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({ _class_name: 'SceneCLIP', embed_dim: configDim, native_size: 64, logit_scale: 10 }),
  );
  const norm = (x: string, y: string): OnnxNodeProto => ({
    input: [x],
    output: [y],
    opType: 'LpNormalization',
    attribute: [
      { name: 'axis', i: 1, type: 2 },
      { name: 'p', i: 2, type: 2 },
    ] as never,
  });
  const image = model(
    [
      {
        input: ['pixel_values'],
        output: ['m'],
        opType: 'ReduceMean',
        attribute: [
          { name: 'axes', ints: [2, 3], type: 7 },
          { name: 'keepdims', i: 0, type: 2 },
        ] as never,
      },
      { input: ['m', 'Wi'], output: ['e'], opType: 'MatMul' },
      norm('e', 'image_embeds'),
    ],
    [floats('Wi', [3, w.dim], w.wi)],
    valueInfo('pixel_values', ['batch', 3, 64, 64]),
    valueInfo('image_embeds', ['batch', w.dim]),
  );
  const text = model(
    [
      {
        input: ['input_ids'],
        output: ['f'],
        opType: 'Cast',
        attribute: [{ name: 'to', i: OnnxDataType.FLOAT, type: 2 }] as never,
      },
      { input: ['f', 'Wt'], output: ['e'], opType: 'MatMul' },
      norm('e', 'text_embeds'),
    ],
    [floats('Wt', [SEQ_LEN, w.dim], w.wt)],
    valueInfo('input_ids', ['batch', SEQ_LEN], OnnxDataType.INT32),
    valueInfo('text_embeds', ['batch', w.dim]),
  );
  fs.writeFileSync(path.join(dir, 'image_encoder', 'model.onnx'), image);
  fs.writeFileSync(path.join(dir, 'text_encoder', 'model.onnx'), text);
  fs.symlinkSync(SCENES_TOKENIZER, path.join(dir, 'tokenizer'));
  return dir;
}
