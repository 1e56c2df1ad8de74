// Keras's validation and evaluation extras: the val_ metrics on the epoch line (checked against a
// real Keras line), model.summary(), the confusion matrix and per-class table, the engines'
// predictions, and the commands that print them.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { epochLine, validationSuffix, modelSummary } from '../src/train/keras_log.ts';
import { confusionMatrix, classScores, classificationReport, confusionText } from '../src/train/results/confusion.ts';
import { MNIST_MODEL } from '../src/nn/model.ts';
import { CpuEngine } from '../src/train/engines/cpu.ts';
import { ThreadedEngine } from '../src/train/engines/threaded/engine.ts';
import { createGpuJsEngine } from '../src/node/gpujs_modes.ts';
import { nodeThreads } from '../src/node/threads.ts';
import { evaluate } from '../src/train/loop.ts';
import { loadMnist } from '../src/node/mnist_files.ts';
import type { Engine } from '../src/train/engines/engine.ts';
import { mnistDir } from './idx.ts';
import { tempDir } from './helpers.ts';

test('validation: the epoch line ends exactly as Keras prints it with validation_data', () => {
  // TensorFlow 2, model.fit(x_train, y_train, epochs=5, validation_data=(x_test, y_test)):
  const keras = '1875/1875 [==============================] - 3s 2ms/step - loss: 0.2962 - accuracy: 0.9137 - val_loss: 0.1465 - val_accuracy: 0.9565';
  assert.is(epochLine(1875, 3.2, 0.29624, 0.91372) + validationSuffix(0.14651, 0.95648), keras);
  assert.is(validationSuffix(0.0985, 0.9702), ' - val_loss: 0.0985 - val_accuracy: 0.9702');
});

test('model.summary(): the TensorFlow 2 table, 101,770 parameters', () => {
  const tf = `Model: "sequential"
_________________________________________________________________
Layer (type)                 Output Shape              Param #   
=================================================================
flatten (Flatten)            (None, 784)               0         
_________________________________________________________________
dense (Dense)                (None, 128)               100480    
_________________________________________________________________
dropout (Dropout)            (None, 128)               0         
_________________________________________________________________
dense_1 (Dense)              (None, 10)                1290      
=================================================================
Total params: 101,770
Trainable params: 101,770
Non-trainable params: 0
_________________________________________________________________
`;
  assert.is(modelSummary(MNIST_MODEL), tf.replace(/ +\n/g, '\n'), 'as Keras prints it, trailing spaces trimmed');
  assert.match(modelSummary({ ...MNIST_MODEL, hidden: 1000 }), /dense \(Dense\) +\(None, 1000\) +785000\n[^]*Total params: 795,010\n/);
});

test('confusion matrix and the per-class table, against counts worked by hand', () => {
  const labels = [0, 0, 0, 1, 1, 2, 2, 2, 2, 2];
  const predicted = [0, 0, 1, 1, 1, 2, 2, 2, 0, 1];
  const m = confusionMatrix(labels, predicted, 3);
  assert.equal(m, [[2, 1, 0], [0, 2, 0], [1, 1, 3]]);
  const s = classScores(m);
  // class 0: precision 2/3, recall 2/3; class 1: 2/4, 2/2; class 2: 3/3, 3/5. f1 2/3, 2/3, 3/4: macro 0.6944,
  // weighted by support (3, 2, 5) 0.7083, as scikit-learn's classification_report gives them.
  assert.equal(s.map((c) => [c.precision, c.recall, c.support]), [[2 / 3, 2 / 3, 3], [0.5, 1, 2], [1, 0.6, 5]]);
  assert.ok(Math.abs(s[2].f1 - 0.75) < 1e-12);
  const report = classificationReport(m);
  assert.match(report, /^ {13}precision {4}recall  f1-score   support\n\n {11}0 {4}0\.6667 {4}0\.6667 {4}0\.6667 {9}3\n/);
  assert.match(report, /\n {4}accuracy {24}0\.7000 {8}10\n {3}macro avg {4}0\.7222 {4}0\.7556 {4}0\.6944 {8}10\nweighted avg {4}0\.8000 {4}0\.7000 {4}0\.7083 {8}10\n$/);
  assert.match(confusionText(m), /^Confusion matrix \(rows: true class, columns: predicted class\):\n {10}0 {4}1 {4}2\n {5}0 {4}2 {4}1 {4}0\n/);
  assert.is(classScores([[0, 1], [0, 1]])[0].precision, 0, 'a class never predicted: precision 0, as scikit-learn');
});

// Each engine's predictions agree with its own hit count, batch by batch, and among engines.
test('predictions: argmax of the logits on every engine, agreeing with the loss kernel\'s hits', async () => {
  const data = loadMnist(mnistDir(64, 100));
  const options = { batchSize: 32, learningRate: 0.001, seed: 3 };
  const engines: [string, Engine][] = [
    ['cpu', new CpuEngine(options)],
    ['threaded', await ThreadedEngine.create({ ...options, threads: 2, kernels: 'fast' }, nodeThreads)],
    ['gpujs cpu mode', await createGpuJsEngine({ ...options, gpuMode: 'cpu' })],
  ];
  const all: Uint8Array[] = [];
  for (const [name, engine] of engines) {
    try {
      const predictions = new Uint8Array(data.test.count).fill(255);
      const stats = await evaluate(engine, data.test, 32, predictions);
      const hits = predictions.reduce((a, p, i) => a + (p === data.test.labels[i] ? 1 : 0), 0);
      assert.ok(predictions.every((p) => p < 10), `${name}: every example predicted`);
      assert.is(hits / data.test.count, stats.accuracy, `${name}: predictions match the hit count`);
      all.push(predictions);
    } finally {
      await engine.close();
    }
  }
  assert.equal(all[1], all[0], 'threaded = cpu: the same initial weights');
});

function bench(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bench --validation: val_ metrics on every epoch line and in the record, training bit for bit the same, not in training time', () => {
  const data = mnistDir(320, 100);
  const [a, b] = [join(tempDir(), 'a.json'), join(tempDir(), 'b.json')];
  const withVal = bench(['--data', data, '--epochs', '2', '--threads', '2', '--validation', '--json', a]);
  const plain = bench(['--data', data, '--epochs', '2', '--threads', '2', '--json', b]);
  assert.is(withVal.code, 0, withVal.stderr);
  assert.is(plain.code, 0, plain.stderr);
  const lines = withVal.stdout.match(/^10\/10 \[=+\] - .*$/gm) ?? [];
  assert.is(lines.length, 2);
  for (const line of lines) assert.match(line, /^10\/10 \[={30}\] - \d+s \d+[mu]?s\/step - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}$/);
  assert.not.match(plain.stdout, /val_/);
  const [ra, rb] = [a, b].map((f) => JSON.parse(readFileSync(f, 'utf8')));
  assert.equal(ra.epochs.map((e: { loss: number; accuracy: number }) => [e.loss, e.accuracy]), rb.epochs.map((e: { loss: number; accuracy: number }) => [e.loss, e.accuracy]));
  assert.is(ra.flags.validation, true);
  assert.is(rb.flags.validation, undefined);
  assert.is(ra.epochs[1].valLoss, ra.test.loss, 'after the last epoch, validation is the test evaluation');
  assert.is(ra.epochs[1].valAccuracy, ra.test.accuracy);
  assert.ok(ra.epochs.every((e: { valSeconds: number }) => e.valSeconds > 0));
  const valShown = Number(/val_loss: (\d\.\d{4})/.exec(lines[0] ?? "")![1]);
  assert.ok(Math.abs(valShown - ra.epochs[0].valLoss) <= 5e-5);
  // totalSeconds is the epochs' training time summed (validation has its own valSeconds). The record
  // rounds the total and each epoch to the millisecond, so the two agree within those roundings.
  const sumOfEpochs = ra.epochs.reduce((s: number, e: { seconds: number }) => s + e.seconds, 0);
  assert.ok(Math.abs(ra.totalSeconds - sumOfEpochs) <= 0.0015, `the total is the epochs' sum: ${ra.totalSeconds} against ${sumOfEpochs}`);
  // The record's confusion matrix: 10x10 counts over the test set, its diagonal the accuracy.
  const m: number[][] = rb.test.confusion;
  assert.is(m.length, 10);
  assert.is(m.flat().reduce((x, y) => x + y, 0), 100);
  assert.is(m.reduce((x, row, k) => x + row[k], 0) / 100, rb.test.accuracy);
});

test('bench --summary prints model.summary() before training; the default log does not', () => {
  const data = mnistDir(64, 20);
  const r = bench(['--data', data, '--epochs', '1', '--summary']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^training on 64 images, evaluating on 20\nModel: "sequential"\n(?:.*\n){13}Non-trainable params: 0\n_{65}\nEpoch 1\/1\n/m);
  const plain = bench(['--data', data, '--epochs', '1']);
  assert.not.match(plain.stdout, /Model: "sequential"|Total params/);
});

test.run();
