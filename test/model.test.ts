// The whole network: every parameter tensor against numeric gradients of the real loss,
// Adam against a step worked out by hand, and the two sanity checks (ln 10 start, overfitting).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Model, MNIST_MODEL, type ModelShape } from '../src/nn/model.ts';
import { Adam, KERAS_ADAM } from '../src/nn/optimizer.ts';
import { adamUpdate } from '../src/tensor/adam.ts';
import { makeRng, nextFloat } from '../src/tensor/rng.ts';
import { loadMnist, packageDataDir } from '../src/node/mnist_files.ts';
import { fillBatch } from '../src/train/data/batch.ts';
import { identityOrder } from '../src/train/loop.ts';
import { f64, randomF64, randomLabels, numericGrad, assertClose } from './helpers.ts';

// Mean loss of one training forward pass, with the dropout mask redrawn from the same state each time.
function lossWithFixedMask(model: Model, x: Float32Array, y: Uint8Array, B: number): () => number {
  const saved = { ...model.dropout.rng };
  return () => {
    Object.assign(model.dropout.rng, saved);
    return model.forward(x, y, B, true) / B;
  };
}

function checkAllGradients(shape: ModelShape, B: number, seed: number, sample?: number): void {
  const rng = makeRng(seed);
  const model = new Model(shape, B, seed, f64);
  for (const b of [model.b1, model.b2]) for (let i = 0; i < b.length; i++) b[i] = 0.1 * (2 * nextFloat(rng) - 1); // non-zero biases
  const x = randomF64(B * shape.inputs, rng, 0, 1), y = randomLabels(B, shape.classes, rng);
  const L = lossWithFixedMask(model, x, y, B);
  L();
  model.zeroGrad();
  model.backward(x, y, B);
  const named: [string, Float32Array, Float32Array][] = [
    ['W1', model.W1, model.dW1], ['b1', model.b1, model.db1], ['W2', model.W2, model.dW2], ['b2', model.b2, model.db2],
  ];
  for (const [name, param, grad] of named) {
    if (sample === undefined || param.length <= sample) {
      assertClose(grad, numericGrad(param, L), 1e-5, `d${name}`, 1e-9);
      continue;
    }
    // Big tensors: check a seeded random sample of distinct elements.
    const picked = new Set<number>();
    while (picked.size < sample) picked.add(Math.floor(nextFloat(rng) * param.length));
    const idx = [...picked];
    const view = f64(sample), analytic = f64(sample);
    idx.forEach((j, k) => { view[k] = param[j]; analytic[k] = grad[j]; });
    const numeric = numericGrad(view, () => { idx.forEach((j, k) => { param[j] = view[k]; }); return L(); });
    idx.forEach((j, k) => { param[j] = view[k]; });
    assertClose(analytic, numeric, 1e-5, `d${name} (sampled)`, 1e-9);
  }
}

test('whole network: every parameter gradient matches finite differences (small shape, all elements)', () => {
  checkAllGradients({ inputs: 12, hidden: 8, classes: 5, dropoutRate: 0.2 }, 4, 21);
});

test('whole network: MNIST shape, every tensor (W1 sampled at 300 elements)', () => {
  checkAllGradients(MNIST_MODEL, 3, 22, 300);
});

test('adam: one step by hand (Keras form, bias-corrected step size, epsilon outside the sqrt)', () => {
  const p = new Float32Array([0.5, -1]), g = new Float32Array([0.2, -3]);
  const m = new Float32Array(2), v = new Float32Array(2);
  adamUpdate(p, m, v, g, KERAS_ADAM, 1, 2);
  // t = 1: m = 0.1 g, v = 0.001 g², lr_t = 0.001 · sqrt(0.001) / 0.1, so the step is
  // lr_t · 0.1 g / (sqrt(0.001) |g| + 1e-7) ≈ 0.001 · sign(g).
  const step = (gi: number) => (0.001 * Math.sqrt(0.001) / 0.1) * (0.1 * gi) / (Math.sqrt(0.001 * gi * gi) + 1e-7);
  assert.ok(Math.abs(p[0] - (0.5 - step(0.2))) < 1e-7, `p0 ${p[0]}`);
  assert.ok(Math.abs(p[1] - (-1 - step(-3))) < 1e-7, `p1 ${p[1]}`);
  assert.ok(Math.abs(m[0] - 0.02) < 1e-8 && Math.abs(v[1] - 0.009) < 1e-8);
  // t = 2 with a new gradient: m = 0.9 m + 0.1 g, v = 0.999 v + 0.001 g², lr_t = 0.001 sqrt(1-0.999²)/(1-0.9²).
  const p0 = p[0], m0 = m[0], v0 = v[0];
  g[0] = -0.4;
  adamUpdate(p, m, v, g, KERAS_ADAM, 2, 2);
  const m2 = 0.9 * m0 + 0.1 * -0.4, v2 = 0.999 * v0 + 0.001 * 0.16;
  const lr2 = 0.001 * Math.sqrt(1 - 0.999 ** 2) / (1 - 0.9 ** 2);
  assert.ok(Math.abs(p[0] - (p0 - lr2 * m2 / (Math.sqrt(v2) + 1e-7))) < 1e-7, `p0 at t=2 ${p[0]}`);
});

test('adam class counts steps and updates the whole flat buffer', () => {
  const params = new Float32Array([1, 2, 3]), grads = new Float32Array([1, -1, 0]);
  const opt = new Adam(params, grads, KERAS_ADAM);
  opt.update();
  assert.is(opt.step, 1);
  assert.ok(Math.abs(params[0] - 0.999) < 1e-6 && Math.abs(params[1] - 2.001) < 1e-6 && params[2] === 3);
});

const data = loadMnist(packageDataDir());

test('initial loss on real images is about ln 10', () => {
  const B = 256, model = new Model(MNIST_MODEL, B, 1);
  const x = new Float32Array(B * 784), y = new Uint8Array(B);
  fillBatch(x, y, data.train.images, data.train.labels, identityOrder(B), 0, B);
  const loss = model.forward(x, y, B, false) / B;
  assert.ok(Math.abs(loss - Math.log(10)) < 0.35, `initial loss ${loss}`);
});

test('the network overfits 32 images to almost zero loss', () => {
  const B = 32, model = new Model(MNIST_MODEL, B, 3);
  const opt = new Adam(model.params, model.grads, KERAS_ADAM);
  const x = new Float32Array(B * 784), y = new Uint8Array(B);
  fillBatch(x, y, data.train.images, data.train.labels, identityOrder(B), 0, B);
  let loss = Infinity;
  for (let step = 0; step < 150; step++) {
    model.zeroGrad();
    model.forward(x, y, B, true);
    model.backward(x, y, B);
    opt.update();
  }
  loss = model.forward(x, y, B, false) / B;
  assert.ok(loss < 0.02, `loss after 150 steps on 32 images: ${loss}`);
  assert.is(model.loss.result.correct, 32);
});

test.run();
