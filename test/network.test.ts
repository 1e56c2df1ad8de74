// --hidden N and --dropout P: every engine trains the network it is given (odd hidden sizes
// included, which the threaded engine cuts into blocks of 8), and the summary and the reference
// checks know when the network is not the reference's.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MNIST_MODEL, type ModelShape } from '../src/nn/model.ts';
import type { Engine } from '../src/train/engines/engine.ts';
import { CpuEngine } from '../src/train/engines/cpu.ts';
import { ThreadedEngine } from '../src/train/engines/threaded/engine.ts';
import { nodeThreads } from '../src/node/threads.ts';
import { loadMnist, packageDataDir } from '../src/node/mnist_files.ts';
import { fillBatch, PIXELS } from '../src/train/data/batch.ts';
import { identityOrder } from '../src/train/loop.ts';
import { parseFlags, DEFAULTS } from '../src/node/cli/flags.ts';
import { makeEngine } from '../src/node/cli/engines.ts';
import { runBench } from '../src/node/cli/bench.ts';
import { accuracyChecks, summaryText } from '../src/train/results/report.ts';
import { mnistDir } from './idx.ts';

const mnist = loadMnist(packageDataDir());
const BATCH = 32;
const batches = [0, 1, 2, 3, 4, 5].map((k) => {
  const x = new Float32Array(BATCH * PIXELS), y = new Uint8Array(BATCH);
  fillBatch(x, y, mnist.train.images, mnist.train.labels, identityOrder(600), k * BATCH, BATCH);
  return { x, y };
});

async function train(engine: Engine): Promise<{ losses: number[]; params: Float32Array }> {
  try {
    const losses: number[] = [];
    for (let r = 0; r < 3; r++) for (const { x, y } of batches) losses.push(await engine.trainStep(x, y, BATCH));
    return { losses, params: await engine.readParams() };
  } finally {
    await engine.close();
  }
}

test('flags: --hidden and --dropout, defaults 128 and 0.2, reach the engine\'s shape', async () => {
  assert.equal([DEFAULTS.hidden, DEFAULTS.dropout], [MNIST_MODEL.hidden, MNIST_MODEL.dropoutRate]);
  const o = parseFlags(['--hidden', '13', '--dropout=0', '--threads', '2', '--limit', '64']);
  assert.equal([o.hidden, o.dropout], [13, 0]);
  const engine = await makeEngine(o);
  try {
    assert.equal(engine.shape, { ...MNIST_MODEL, hidden: 13, dropoutRate: 0 });
    assert.is(engine.info.threads, 2); // 13 units: a block of 8 and one of 5
  } finally {
    await engine.close();
  }
  const notes: string[] = [];
  const one = await makeEngine(parseFlags(['--hidden', '5', '--threads', '4']), (line) => notes.push(line));
  assert.is(one.info.threads, 1); // fewer than 8 units: one block
  assert.equal(notes, ['bench: --threads 4 capped at 1: the hidden layer\'s units are split in blocks of at least 8']);
  await one.close();
});

test('odd hidden sizes: the threaded engine (naive, 1 thread) trains bit for bit like the teaching model; fast on 1-3 threads stays close', async () => {
  for (const shape of [{ ...MNIST_MODEL, hidden: 13 }, { ...MNIST_MODEL, hidden: 100, dropoutRate: 0 }, { ...MNIST_MODEL, hidden: 5, dropoutRate: 0.5 }] as ModelShape[]) {
    const options = { batchSize: BATCH, learningRate: 0.001, seed: 3, shape };
    const reference = await train(new CpuEngine(options));
    const naive = await train(await ThreadedEngine.create({ ...options, threads: 1, kernels: 'naive' }, nodeThreads));
    assert.equal(naive.losses, reference.losses, `hidden ${shape.hidden}`);
    assert.is(reference.params.length, 784 * shape.hidden + shape.hidden + shape.hidden * 10 + 10);
    for (const threads of [1, 2, 3]) {
      const fast = await train(await ThreadedEngine.create({ ...options, threads, kernels: 'fast' }, nodeThreads));
      fast.losses.forEach((l, i) => assert.ok(Math.abs(l - reference.losses[i]) / reference.losses[i] < 1e-4, `hidden ${shape.hidden}, ${threads} threads, step ${i}: ${l} vs ${reference.losses[i]}`));
    }
    assert.ok(reference.losses[17] < reference.losses[0], `hidden ${shape.hidden} learns`);
  }
});

test('dropout 0 and another rate change the run; the default shape is the reference one', async () => {
  const base = { batchSize: BATCH, learningRate: 0.001, seed: 3 };
  const keras = await train(new CpuEngine(base));
  const same = await train(new CpuEngine({ ...base, shape: MNIST_MODEL }));
  const none = await train(new CpuEngine({ ...base, shape: { ...MNIST_MODEL, dropoutRate: 0 } }));
  assert.equal(same.losses, keras.losses);
  assert.not.equal(none.losses, keras.losses);
});

test('the record names the network; with another one the summary says so and the reference checks do not apply', async () => {
  const quiet = { write: () => true };
  const data = mnistDir(64, 32);
  const { record } = await runBench({ ...DEFAULTS, data, epochs: 1, hidden: 24, dropout: 0.1 }, quiet);
  assert.equal(record.network, { hidden: 24, dropout: 0.1 });
  // As if this had been the full reference recipe: only the network differs.
  const full = { ...record, epochs: Array(5).fill(record.epochs[0]), test: { loss: 0.07, accuracy: 0.98, seconds: 1 } };
  assert.equal(accuracyChecks(full, 60000), []);
  assert.match(summaryText(full), /\nNetwork: Dense\(24, ReLU\), Dropout\(0\.1\), not the reference's Dense\(128, ReLU\), Dropout\(0\.2\): the accuracy checks do not apply\n/);
  const reference = { ...full, network: { hidden: 128, dropout: 0.2 } };
  assert.is(accuracyChecks(reference, 60000).length, 3);
  assert.not.match(summaryText(reference), /Network:/);
  const { network: _, ...older } = reference; // a record from before the field
  assert.is(accuracyChecks(older, 60000).length, 3);
});

test.run();
