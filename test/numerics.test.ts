// Divergence: the first step whose loss or any gradient is not finite (in float32) stops training
// with one line naming the epoch, the step, what went wrong, and a hint; exit code 3.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { Trainer, FLOAT32_LOSS_LIMIT } from '../src/train/loop.ts';
import { CpuEngine } from '../src/train/engines/cpu.ts';
import { type Engine } from '../src/train/engines/engine.ts';
import { UserError } from '../src/train/errors.ts';
import { MNIST_MODEL } from '../src/nn/model.ts';
import { adamUpdate } from '../src/tensor/adam.ts';
import { KERAS_ADAM } from '../src/nn/optimizer.ts';
import { fillBatch } from '../src/train/data/batch.ts';
import { identityOrder } from '../src/train/loop.ts';
import { loadMnist, packageDataDir } from '../src/node/mnist_files.ts';
import { mnistDir } from './idx.ts';

// An engine that reports chosen per-example losses and gradient health, step by step.
function scriptedEngine(meanLosses: number[], gradsFiniteAt: (step: number) => boolean, badTensor = 'W2'): Engine {
  let step = 0;
  const engine = {
    info: { name: 'fake', mode: 'test', threads: 1 }, shape: MNIST_MODEL, correct: 0, gradsFinite: true,
    trainStep(_x: Float32Array, _y: Uint8Array, B: number): number {
      engine.gradsFinite = gradsFiniteAt(step);
      return meanLosses[step++] * B;
    },
    evalStep: () => 0,
    nonFiniteGradient: () => (engine.gradsFinite ? null : badTensor),
    readParams: () => new Float32Array(0),
    close: async () => {},
  };
  return engine;
}

const split = { images: new Uint8Array(64 * 784), labels: new Uint8Array(64), count: 64 };

async function divergence(engine: Engine, epochs = 1): Promise<UserError> {
  const trainer = new Trainer(engine, split, 8, 64, 1); // 8 steps an epoch
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) await trainer.trainEpoch(epoch);
  } catch (e) {
    assert.instance(e, UserError);
    assert.is((e as UserError).exitCode, 3);
    assert.not.match((e as Error).message, /\n/);
    return e as UserError;
  }
  throw new Error('training did not stop');
}

test('the float32 loss limit is -ln of the smallest positive float32', () => {
  assert.ok(Math.abs(FLOAT32_LOSS_LIMIT - 103.2789) < 1e-4);
  assert.is(Math.fround(Math.exp(-FLOAT32_LOSS_LIMIT)), 2 ** -149); // still representable...
  assert.is(Math.fround(Math.exp(-FLOAT32_LOSS_LIMIT - 0.7)), 0); // ...and just above it, 0 in float32
});

test('a NaN loss, an infinite loss, a loss past float32, a bad gradient: each named at its step', async () => {
  const ok = 0.5;
  let e = await divergence(scriptedEngine([ok, ok, NaN], () => true));
  assert.is(e.message, 'training diverged at epoch 1, step 3: the loss is NaN; try a smaller --learning-rate');
  e = await divergence(scriptedEngine([...Array(8).fill(ok), ok, Infinity], () => true), 2);
  assert.is(e.message, 'training diverged at epoch 2, step 2: the loss is Infinity; try a smaller --learning-rate');
  e = await divergence(scriptedEngine([ok, 104], () => true));
  assert.match(e.message, /^training diverged at epoch 1, step 2: the loss is infinite in float32 \(batch mean 104, above -ln\(2\^-149\) = 103\.3: the right labels get probability 0\); try a smaller --learning-rate$/);
  e = await divergence(scriptedEngine([ok, ok, ok, ok], (step) => step < 3, 'b1'));
  assert.is(e.message, 'training diverged at epoch 1, step 4: the gradient of b1 is not finite; try a smaller --learning-rate');
});

test('a loss just under the limit trains on (no false alarm), and the hint is the trainer\'s to set', async () => {
  const trainer = new Trainer(scriptedEngine(Array(8).fill(103), () => true), split, 8, 64, 1);
  assert.is((await trainer.trainEpoch(1)).steps, 8);
  const hinted = new Trainer(scriptedEngine([200], () => true), split, 8, 64, 1);
  hinted.hint = 'try a --learning-rate below 1000000';
  await hinted.trainEpoch(1).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /; try a --learning-rate below 1000000$/));
});

test('adam reports a NaN or infinite gradient (and only then)', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const p = new Float32Array(3), m = new Float32Array(3), v = new Float32Array(3);
    assert.is(adamUpdate(p, m, v, new Float32Array([0.1, bad, 0.2]), KERAS_ADAM, 1, 3), false, String(bad));
  }
  const p = new Float32Array(2), m = new Float32Array(2), v = new Float32Array(2);
  assert.is(adamUpdate(p, m, v, new Float32Array([3e38, -3e38]), KERAS_ADAM, 1, 2), true);
});

// Why the float32 limit exists: with lr 1e6 nothing ever turns NaN or infinite. The first step
// throws the weights to about ±1e6, and from then on the loss sits near 1e15 (and later 1e5)
// for a whole epoch, every number finite.
test('learning rate 1e6 on the CPU: losses far past any sense, yet all finite', () => {
  const data = loadMnist(packageDataDir());
  const B = 32, engine = new CpuEngine({ batchSize: B, learningRate: 1e6, seed: 1 });
  const x = new Float32Array(B * 784), y = new Uint8Array(B), order = identityOrder(20 * B);
  let worst = 0;
  for (let step = 0; step < 20; step++) {
    fillBatch(x, y, data.train.images, data.train.labels, order, step * B, B);
    const mean = engine.trainStep(x, y, B) / B;
    assert.ok(Number.isFinite(mean) && engine.gradsFinite, `step ${step + 1}: ${mean}`);
    worst = Math.max(worst, mean);
  }
  assert.ok(worst > 1e12, `worst batch loss ${worst}`);
});

test('bench --learning-rate 1e6: one line naming epoch, step, the loss and the hint; exit 3', () => {
  const dir = mnistDir(256, 32);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--data', dir, '--learning-rate', '1e6'], { encoding: 'utf8' });
  assert.is(r.status, 3, r.stderr);
  assert.match(r.stderr, /^bench: training diverged at epoch 1, step 2: the loss is infinite in float32 \(batch mean \d\.\d\de\+1\d, above -ln\(2\^-149\) = 103\.3: the right labels get probability 0\); the learning rate 1000000 is too large; the reference uses 0\.001: try --learning-rate 0\.001\n$/);
  assert.not.match(r.stdout, /Summary/);
});

test.run();
