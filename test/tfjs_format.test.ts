// The TensorFlow.js Layers format without TensorFlow.js: model.json's structure, the weights file's
// byte layout, round trips, files as TF.js and Keras' converter write them, every kind of bad file,
// and the commands reading and writing it. (TF.js itself loads our export in
// bench/dev/peers/tfjs_model.mjs, outside this suite.)

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeTfjsModel, parseTfjsModel, TFJS_WEIGHTS_FILE } from '../src/train/results/tfjs_format.ts';
import { encodeModel, parseModelAnyHidden } from '../src/train/results/model_format.ts';
import { loadAnyModel, saveModel } from '../src/node/model_file.ts';
import { DataError } from '../src/train/errors.ts';
import { MNIST_MODEL, Model, type ModelShape } from '../src/nn/model.ts';
import { runBench } from '../src/node/cli/bench.ts';
import { runEvaluate } from '../src/node/cli/evaluate.ts';
import { DEFAULTS } from '../src/node/cli/flags.ts';
import { mnistDir } from './idx.ts';
import { tempDir } from './helpers.ts';

const dir = tempDir('mnist-ts-tfjs-');
const params = new Model(MNIST_MODEL, 1, 7).params;
const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

// Parses model.json text with weights files from a map (name -> bytes); a missing one is a DataError.
function parse(json: string, files: Record<string, Uint8Array>) {
  return parseTfjsModel(json, 'model.json', (p) => {
    const name = p.replace(/^\.\//, '');
    if (!(name in files)) throw new DataError('cannot read the weights file (ENOENT)', name);
    return { bytes: files[name], path: name };
  });
}

function parseError(json: string, files: Record<string, Uint8Array>): string {
  try {
    parse(json, files);
  } catch (e) {
    if (!(e instanceof DataError)) throw new Error(`not a DataError: ${(e as Error).stack}`);
    assert.not.match(e.message, /\n/);
    return e.message;
  }
  throw new Error('parsed');
}

test('model.json: a Sequential Flatten(28x28), Dense(128, relu), Dropout(0.2), Dense(10) with a weightsManifest, as TF.js writes it', () => {
  const { json } = encodeTfjsModel(MNIST_MODEL, params);
  const m = JSON.parse(json);
  assert.is(m.format, 'layers-model');
  assert.is(typeof m.generatedBy, 'string');
  assert.is(m.convertedBy, null);
  assert.is(m.modelTopology.class_name, 'Sequential');
  assert.is(m.modelTopology.backend, 'tensor_flow.js');
  assert.match(m.modelTopology.keras_version, /^tfjs-layers /);
  const layers = m.modelTopology.config.layers;
  assert.equal(layers.map((l: { class_name: string }) => l.class_name), ['Flatten', 'Dense', 'Dropout', 'Dense']);
  assert.equal(layers.map((l: { config: { name: string } }) => l.config.name), ['flatten', 'dense', 'dropout', 'dense_1']);
  assert.equal(layers[0].config.batch_input_shape, [null, 28, 28]);
  assert.equal([layers[1].config.units, layers[1].config.activation, layers[2].config.rate, layers[3].config.units, layers[3].config.activation], [128, 'relu', 0.2, 10, 'linear']);
  assert.equal(m.weightsManifest, [{ paths: [TFJS_WEIGHTS_FILE], weights: [
    { name: 'dense/kernel', shape: [784, 128], dtype: 'float32' }, { name: 'dense/bias', shape: [128], dtype: 'float32' },
    { name: 'dense_1/kernel', shape: [128, 10], dtype: 'float32' }, { name: 'dense_1/bias', shape: [10], dtype: 'float32' },
  ] }]);
});

test('the weights file: the flat params as little-endian float32, kernel (inputs, units) row-major; a round trip is exact', () => {
  const { json, weights } = encodeTfjsModel(MNIST_MODEL, params);
  assert.is(weights.length, 4 * 101770);
  const view = new DataView(weights.buffer);
  for (const i of [0, 1, 784 * 128 - 1, 784 * 128, 101769]) assert.ok(Object.is(view.getFloat32(4 * i, true), params[i]), `float ${i}`);
  const back = parse(json, { [TFJS_WEIGHTS_FILE]: weights });
  assert.equal(back.shape, MNIST_MODEL);
  assert.ok(sameBits(back.params, params));
  // Another network: its size and rate travel; dropout 0 is no Dropout layer at all.
  const small: ModelShape = { ...MNIST_MODEL, hidden: 13, dropoutRate: 0 };
  const p13 = new Model(small, 1, 3).params;
  const e13 = encodeTfjsModel(small, p13);
  assert.not.match(e13.json, /Dropout/);
  const b13 = parse(e13.json, { [TFJS_WEIGHTS_FILE]: e13.weights });
  assert.equal(b13.shape, small);
  assert.ok(sameBits(b13.params, p13));
});

test('files as TF.js and Keras\' converter write them: TF.js layer names, no Flatten, an InputLayer, a nested model_config, prefixed names, several shards', () => {
  const { weights } = encodeTfjsModel(MNIST_MODEL, params);
  // tfjs_wasm.mjs's model: dense({inputShape: [784]}), names dense_Dense1 and dense_Dense2.
  const tfjs = {
    format: 'layers-model', generatedBy: 'TensorFlow.js tfjs-layers v4.22.0', convertedBy: null,
    modelTopology: { class_name: 'Sequential', config: { name: 'sequential_1', layers: [
      { class_name: 'Dense', config: { name: 'dense_Dense1', units: 128, activation: 'relu', batch_input_shape: [null, 784] } },
      { class_name: 'Dropout', config: { name: 'dropout_Dropout1', rate: 0.2 } },
      { class_name: 'Dense', config: { name: 'dense_Dense2', units: 10, activation: 'linear' } },
    ] } },
    weightsManifest: [{ paths: ['./group1-shard1of1.bin'], weights: [
      { name: 'dense_Dense1/kernel', shape: [784, 128], dtype: 'float32' }, { name: 'dense_Dense1/bias', shape: [128], dtype: 'float32' },
      { name: 'dense_Dense2/kernel', shape: [128, 10], dtype: 'float32' }, { name: 'dense_Dense2/bias', shape: [10], dtype: 'float32' },
    ] }],
  };
  assert.ok(sameBits(parse(JSON.stringify(tfjs), { 'group1-shard1of1.bin': weights }).params, params));
  // Keras through tensorflowjs_converter: {model_config, training_config}, an InputLayer, prefixed names, two shards.
  const keras = {
    format: 'layers-model', generatedBy: 'keras v2.15.0', convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: { keras_version: '2.15.0', backend: 'tensorflow', model_config: { class_name: 'Sequential', config: { name: 'sequential', layers: [
      { class_name: 'InputLayer', config: { batch_input_shape: [null, 28, 28], name: 'flatten_input' } },
      { class_name: 'Flatten', config: { name: 'flatten' } },
      { class_name: 'Dense', config: { name: 'dense', units: 128, activation: 'relu' } },
      { class_name: 'Dropout', config: { name: 'dropout', rate: 0.2 } },
      { class_name: 'Dense', config: { name: 'dense_1', units: 10, activation: 'linear' } },
    ] } }, training_config: {} },
    weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: [
      { name: 'sequential/dense/kernel', shape: [784, 128], dtype: 'float32' }, { name: 'sequential/dense/bias', shape: [128], dtype: 'float32' },
      { name: 'sequential/dense_1/kernel', shape: [128, 10], dtype: 'float32' }, { name: 'sequential/dense_1/bias', shape: [10], dtype: 'float32' },
    ] }],
  };
  const back = parse(JSON.stringify(keras), { 'group1-shard1of2.bin': weights.subarray(0, 300000), 'group1-shard2of2.bin': weights.subarray(300000) });
  assert.ok(sameBits(back.params, params));
});

test('bad model.json or weights: one line each, naming the file at fault', () => {
  const { json, weights } = encodeTfjsModel(MNIST_MODEL, params);
  const files = { [TFJS_WEIGHTS_FILE]: weights };
  const edit = (f: (m: any) => void): string => { const m = JSON.parse(json); f(m); return JSON.stringify(m); };
  const cases: [string, Record<string, Uint8Array>, RegExp][] = [
    ['{"format": "layers-', files, /^not a TensorFlow\.js model\.json: it is not JSON: model\.json$/],
    ['{}', files, /^not a TensorFlow\.js Layers model\.json: it needs modelTopology and weightsManifest: model\.json$/],
    [edit((m) => { m.format = 'graph-model'; }), files, /^format "graph-model": this program reads the Layers format \("layers-model"\): model\.json$/],
    [json, {}, /^cannot read the weights file \(ENOENT\): group1-shard1of1\.bin$/],
    [json, { [TFJS_WEIGHTS_FILE]: weights.subarray(0, 400000) }, /^truncated: 400000 bytes, the manifest needs 401408 for dense\/kernel and the weights before it: group1-shard1of1\.bin$/],
    [json, { [TFJS_WEIGHTS_FILE]: weights.subarray(0, 407076) }, /^truncated: 407076 bytes, the manifest needs 407080 for dense_1\/bias/],
    [json, { [TFJS_WEIGHTS_FILE]: Uint8Array.from([...weights, 0, 0, 0, 0]) }, /^4 bytes past the end the manifest describes \(407080 bytes\): group1-shard1of1\.bin$/],
    [edit((m) => { m.weightsManifest[0].weights[1].dtype = 'float16'; }), files, /^weight dense\/bias is float16: this program reads float32 weights: model\.json$/],
    [edit((m) => { m.weightsManifest[0].weights[0].quantization = { dtype: 'uint8' }; }), files, /^weight dense\/kernel is quantized/],
    [edit((m) => { m.weightsManifest[0].weights[0].shape = [128, 784]; }), files, /^wrong shape: dense\/kernel is 128x784 in the manifest, this network needs 784x128: model\.json$/],
    [edit((m) => { m.modelTopology.config.layers[1].config.units = 64; }), files, /^wrong shape: dense\/kernel is 784x128 in the manifest, this network needs 784x64/],
    [edit((m) => { m.weightsManifest[0].weights[3].name = 'other/bias'; }), files, /^no weight dense_1\/bias in the weightsManifest/],
    [edit((m) => { m.modelTopology.config.layers[3].config.activation = 'softmax'; }), files, /^the last Dense layer's activation is softmax: this program reads logits \(linear\)/],
    [edit((m) => { m.modelTopology.config.layers[3].config.units = 9; }), files, /^the last Dense layer has 9 units: this program reads 10 classes/],
    [edit((m) => { m.modelTopology.config.layers.splice(2, 0, m.modelTopology.config.layers[1]); }), files, /^layers Flatten, Dense, Dense, Dropout, Dense: this program reads Flatten\(28x28\), Dense\(H, relu\), Dropout\(P\), Dense\(10\)/],
    [edit((m) => { m.modelTopology.class_name = 'Functional'; }), files, /^a Functional model: this program reads a Sequential one/],
    [edit((m) => { m.modelTopology.config.layers[0].config.batch_input_shape = [null, 32, 32]; }), files, /^input shape \[null,32,32\]: this program reads 28x28 images/],
    [edit((m) => { m.weightsManifest[0].paths = ['https://example.com/w.bin']; }), files, /^weights at https:\/\/example\.com\/w\.bin: this program reads weights files beside model\.json only/],
  ];
  for (const [text, f, message] of cases) assert.match(parseError(text, f), message);
  const nan = weights.slice();
  new DataView(nan.buffer).setFloat32(4 * 5, NaN, true);
  assert.match(parseError(json, { [TFJS_WEIGHTS_FILE]: nan }), /^weight dense\/kernel\[5\] is NaN: a model holds finite weights only: group1-shard1of1\.bin$/);
});

test('on disk: --save-model by extension writes model.json and its weights; loadAnyModel reads either format, any hidden size', () => {
  const shape: ModelShape = { ...MNIST_MODEL, hidden: 24, dropoutRate: 0.1 };
  const p = new Model(shape, 1, 2).params;
  const json = join(dir, 'model.json');
  saveModel(json, shape, p);
  assert.ok(existsSync(join(dir, 'model.weights.bin')));
  const back = loadAnyModel(json);
  assert.equal(back.shape, shape);
  assert.ok(sameBits(back.params, p));
  const native = join(dir, 'm24.bin');
  saveModel(native, shape, p);
  assert.is(readFileSync(native).length, encodeModel(shape, p).length);
  const nb = loadAnyModel(native);
  assert.equal(nb.shape, { ...MNIST_MODEL, hidden: 24 }); // the native file does not store the dropout rate
  assert.ok(sameBits(nb.params, p));
  assert.throws(() => parseModelAnyHidden(encodeModel({ ...MNIST_MODEL, classes: 9 }, new Model({ ...MNIST_MODEL, classes: 9 }, 1, 1).params), 'x'), /wrong shape: W2 is 128x9 in the file, this model needs 128x10: x/);
  // A second model in the same folder keeps its own weights file: the first still loads as saved.
  const other = new Model(shape, 1, 3).params;
  saveModel(join(dir, 'other.json'), shape, other);
  assert.ok(sameBits(loadAnyModel(json).params, p));
  assert.ok(sameBits(loadAnyModel(join(dir, 'other.json')).params, other));
  rmSync(join(dir, 'model.weights.bin'));
  assert.throws(() => loadAnyModel(json), (e: Error) => e.message === `cannot read the weights file (ENOENT): ${join(dir, 'model.weights.bin')}`);
});

test('bench --hidden 24 --save-model DIR/model.json, then evaluate reads it: the same evaluation; the command refuses a cut weights file, exit 1', async () => {
  const data = mnistDir(320, 100);
  const folder = tempDir('mnist-ts-tfjs-run-');
  const model = join(folder, 'model.json');
  const quiet = { write: () => true };
  const { record } = await runBench({ ...DEFAULTS, data, epochs: 1, hidden: 24, saveModel: model }, quiet);
  let log = '';
  const stats = await runEvaluate({ model, data, batchSize: 32, help: false }, { write: (s: string) => (log += s) });
  assert.match(log, /^model: .*model\.json \(784-24-10, 19090 weights\), evaluating on 100 images\n/);
  assert.is(Math.round(stats.accuracy * 1e6) / 1e6, record.test?.accuracy);
  const weights = join(folder, 'model.weights.bin');
  writeFileSync(weights, readFileSync(weights).subarray(0, 1000));
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/evaluate.ts', '--model', model, '--data', data], { encoding: 'utf8' });
  assert.is(r.status, 1);
  assert.is(r.stdout, '');
  assert.is(r.stderr, `evaluate: truncated: 1000 bytes, the manifest needs 75264 for dense/kernel and the weights before it: ${weights}\n`);
});

test.run();
