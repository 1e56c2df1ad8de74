// The trained weights in the TensorFlow.js Layers format, both ways: what `--save-model DIR/model.json`
// writes and what `npm run evaluate` and `npm run predict` read besides the native file. A host
// reads and writes the files (src/node/model_file.ts); this is the format.
// model.json: {format: "layers-model", generatedBy, convertedBy, modelTopology, weightsManifest}
//   modelTopology: {class_name: "Sequential", config: {name, layers}, keras_version, backend}, the
//     layers as Keras writes them: Flatten (batch_input_shape [null,28,28]), Dense(H, relu) "dense",
//     Dropout(P) "dropout" (left out when P is 0), Dense(10, linear) "dense_1";
//   weightsManifest: [{paths: ["group1-shard1of1.bin"], weights: [{name, shape, dtype}]}] with
//     dense/kernel (784,H), dense/bias (H), dense_1/kernel (H,10), dense_1/bias (10), all float32.
// group1-shard1of1.bin: those four tensors' values, little-endian float32, row-major, one after the
// other: a Keras kernel is (inputs, units), the layout of our W1 and W2, so the file holds exactly
// the model's flat params. tf.loadLayersModel reads the pair; tensorflowjs_converter turns it into Keras.

import { MNIST_MODEL, type ModelShape } from '../../nn/model.ts';
import { DataError } from '../errors.ts';

export const TFJS_WEIGHTS_FILE = 'group1-shard1of1.bin';
// The tfjs-layers release whose model.json this follows (tf.loadLayersModel does not check it).
const TFJS_LAYERS_VERSION = 'tfjs-layers 4.22.0';

export interface TfjsFiles {
  json: string; // model.json's text
  weights: Uint8Array; // TFJS_WEIGHTS_FILE's bytes
}

// How Keras and TF.js write glorot_uniform, Dense's default initializer, which our init follows.
const GLOROT_UNIFORM = { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null } };

function dense(name: string, units: number, activation: string): object {
  return {
    class_name: 'Dense',
    config: {
      name, trainable: true, dtype: 'float32', units, activation, use_bias: true,
      kernel_initializer: GLOROT_UNIFORM, bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
    },
  };
}

// weightsFile: the binary's name beside model.json (saveModel names it after the model, so that two
// models in one folder never share one).
export function encodeTfjsModel(shape: ModelShape, params: Float32Array, generatedBy = 'mnist-ts', weightsFile = TFJS_WEIGHTS_FILE): TfjsFiles {
  const { inputs: IN, hidden: H, classes: C } = shape;
  if (IN !== 784) throw new Error(`encodeTfjsModel: ${IN} inputs, the format's Flatten is 28x28`);
  if (params.length !== IN * H + H + H * C + C) throw new Error(`encodeTfjsModel: ${params.length} params for a ${IN}-${H}-${C} network`);
  const layers: object[] = [
    { class_name: 'Flatten', config: { name: 'flatten', trainable: true, batch_input_shape: [null, 28, 28], dtype: 'float32', data_format: 'channels_last' } },
    dense('dense', H, 'relu'),
  ];
  if (shape.dropoutRate > 0) {
    layers.push({ class_name: 'Dropout', config: { name: 'dropout', trainable: true, dtype: 'float32', rate: shape.dropoutRate, noise_shape: null, seed: null } });
  }
  layers.push(dense('dense_1', C, 'linear'));
  const spec = (name: string, dims: number[]) => ({ name, shape: dims, dtype: 'float32' });
  const model = {
    format: 'layers-model',
    generatedBy,
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential', config: { name: 'sequential', layers },
      keras_version: TFJS_LAYERS_VERSION, backend: 'tensor_flow.js',
    },
    weightsManifest: [{
      paths: [weightsFile],
      weights: [spec('dense/kernel', [IN, H]), spec('dense/bias', [H]), spec('dense_1/kernel', [H, C]), spec('dense_1/bias', [C])],
    }],
  };
  const weights = new Uint8Array(4 * params.length);
  const view = new DataView(weights.buffer);
  for (let i = 0; i < params.length; i++) view.setFloat32(4 * i, params[i], true);
  return { json: JSON.stringify(model, null, 1) + '\n', weights };
}

// A weights file, by its path in the manifest: the host reads it (relative to model.json's folder)
// and gives back its bytes and the path to name in messages, or throws a DataError naming it.
export type ReadWeights = (relative: string) => { bytes: Uint8Array; path: string };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// model.json of a Sequential network Flatten?, Dense(H, relu), Dropout?, Dense(10) with float32
// weights: its shape and flat params. Any other model, or a damaged one, is a one-line DataError.
export function parseTfjsModel(text: string, path: string, read: ReadWeights): { shape: ModelShape; params: Float32Array } {
  const fail = (cause: string, where = path): never => { throw new DataError(cause, where); };
  let model: unknown;
  try {
    model = JSON.parse(text);
  } catch {
    fail('not a TensorFlow.js model.json: it is not JSON');
  }
  if (!isObject(model) || !isObject(model.modelTopology) || !Array.isArray(model.weightsManifest)) {
    return fail('not a TensorFlow.js Layers model.json: it needs modelTopology and weightsManifest');
  }
  if (model.format !== undefined && model.format !== 'layers-model') fail(`format "${String(model.format)}": this program reads the Layers format ("layers-model")`);
  const { dense1, dense2, hidden, dropoutRate } = architecture(model.modelTopology, fail);
  const shape: ModelShape = { ...MNIST_MODEL, hidden, dropoutRate };
  const { inputs: IN, classes: C } = shape;

  // Every group's shards, concatenated, hold its weights one after the other.
  const found = new Map<string, { dims: number[]; values: Float32Array; file: string }>();
  for (const group of model.weightsManifest as unknown[]) {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights) || group.paths.length === 0) fail('corrupt weightsManifest: a group without paths or weights');
    const { paths, weights } = group as { paths: unknown[]; weights: unknown[] };
    const shards = paths.map((p) => {
      if (typeof p !== 'string' || p === '') return fail('corrupt weightsManifest: a path that is not a file name');
      if (/^[a-z][a-z0-9+.-]*:/i.test(p)) return fail(`weights at ${p}: this program reads weights files beside model.json only`);
      return read(p);
    });
    const total = shards.reduce((s, b) => s + b.bytes.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const s of shards) { bytes.set(s.bytes, at); at += s.bytes.length; }
    const file = shards[shards.length - 1].path; // the shard a short read is missing from
    const view = new DataView(bytes.buffer);
    let offset = 0;
    for (const entry of weights) {
      if (!isObject(entry) || typeof entry.name !== 'string' || !Array.isArray(entry.shape) || !entry.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        return fail('corrupt weightsManifest: a weight without a name or shape');
      }
      const { name, shape: dims, dtype } = entry as { name: string; shape: number[]; dtype: unknown };
      if (dtype !== 'float32') fail(`weight ${name} is ${String(dtype)}: this program reads float32 weights`);
      if (entry.quantization !== undefined) fail(`weight ${name} is quantized: this program reads plain float32 weights`);
      const count = dims.reduce((a, b) => a * b, 1);
      if (offset + 4 * count > total) fail(`truncated: ${total} bytes, the manifest needs ${offset + 4 * count} for ${name} and the weights before it`, file);
      const values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = view.getFloat32(offset + 4 * i, true);
      found.set(name, { dims, values, file });
      offset += 4 * count;
    }
    if (offset !== total) fail(`${total - offset} bytes past the end the manifest describes (${offset} bytes)`, file);
  }

  const need: [string, number[]][] = [[`${dense1}/kernel`, [IN, hidden]], [`${dense1}/bias`, [hidden]], [`${dense2}/kernel`, [hidden, C]], [`${dense2}/bias`, [C]]];
  const params = new Float32Array(IN * hidden + hidden + hidden * C + C);
  let at = 0;
  for (const [name, dims] of need) {
    // Keras may prefix a weight with its model's name (sequential/dense/kernel).
    const key = found.has(name) ? name : [...found.keys()].find((k) => k.endsWith(`/${name}`));
    const w = key === undefined ? fail(`no weight ${name} in the weightsManifest`) : found.get(key)!;
    if (w.dims.join('x') !== dims.join('x')) fail(`wrong shape: ${name} is ${w.dims.join('x')} in the manifest, this network needs ${dims.join('x')}`);
    for (let i = 0; i < w.values.length; i++) {
      if (!Number.isFinite(w.values[i])) fail(`weight ${name}[${i}] is ${w.values[i]}: a model holds finite weights only`, w.file);
    }
    params.set(w.values, at);
    at += w.values.length;
  }
  return { shape, params };
}

// The layers, checked against Flatten?, Dense(H, relu), Dropout?, Dense(10, linear).
function architecture(topology: Json, fail: (cause: string) => never): { dense1: string; dense2: string; hidden: number; dropoutRate: number } {
  const top = isObject(topology.model_config) ? topology.model_config : topology; // Keras' full-model form nests it
  if (top.class_name !== 'Sequential') fail(`a ${String(top.class_name)} model: this program reads a Sequential one`);
  const config = top.config;
  const layers = Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : fail('corrupt modelTopology: no layers');
  const want = 'Flatten(28x28), Dense(H, relu), Dropout(P), Dense(10)';
  const kept = (layers as unknown[]).filter((l) => !(isObject(l) && l.class_name === 'InputLayer'));
  const names = kept.map((l) => (isObject(l) ? String(l.class_name) : '?'));
  let k = 0;
  const next = (className: string): unknown => (names[k] === className ? kept[k++] : null);
  next('Flatten');
  const first = next('Dense'), dropout = next('Dropout'), second = next('Dense');
  if (first === null || second === null || k !== kept.length) fail(`layers ${names.join(', ')}: this program reads ${want}`);
  const cfg = (l: unknown): Json => (isObject(l) && isObject(l.config) ? l.config : {});
  const [c1, c2] = [cfg(first), cfg(second)];
  const units = (c: Json): number => (Number.isSafeInteger(c.units) && (c.units as number) > 0 ? c.units as number : fail('corrupt modelTopology: a Dense layer without units'));
  if (c1.activation !== 'relu') fail(`the first Dense layer's activation is ${String(c1.activation)}: this program reads ${want}`);
  if ((c2.activation ?? 'linear') !== 'linear') fail(`the last Dense layer's activation is ${String(c2.activation)}: this program reads logits (linear)`);
  if (c1.use_bias === false || c2.use_bias === false) fail('a Dense layer without a bias: this program reads Dense layers with one');
  if (units(c2) !== MNIST_MODEL.classes) fail(`the last Dense layer has ${units(c2)} units: this program reads ${MNIST_MODEL.classes} classes`);
  const input = cfg(kept[0]).batch_input_shape;
  if (Array.isArray(input) && input.slice(1).reduce((a: number, b) => a * Number(b), 1) !== MNIST_MODEL.inputs) {
    fail(`input shape ${JSON.stringify(input)}: this program reads 28x28 images (784 pixels)`);
  }
  const rate = dropout ? Number(cfg(dropout).rate) : 0;
  if (!(rate >= 0 && rate < 1)) fail(`dropout rate ${String(cfg(dropout).rate)}: expected 0 <= rate < 1`);
  return { dense1: String(c1.name ?? 'dense'), dense2: String(c2.name ?? 'dense_1'), hidden: units(c1), dropoutRate: rate };
}
