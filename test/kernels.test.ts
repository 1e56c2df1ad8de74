// Each kernel against a plain reference, and each backward kernel against central differences.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { matmulForward, matmulBackward } from '../src/tensor/matmul.ts';
import { biasForward, biasBackward } from '../src/tensor/bias.ts';
import { reluForward, reluBackward } from '../src/tensor/relu.ts';
import { dropoutForward, dropoutBackward } from '../src/tensor/dropout.ts';
import { softmaxCrossEntropyForward, softmaxCrossEntropyBackward, type LossResult } from '../src/tensor/softmax_cross_entropy.ts';
import { glorotUniform } from '../src/tensor/init.ts';
import { makeRng, nextUint32, shuffle } from '../src/tensor/rng.ts';
import { f64, randomF64, awayFromZero, randomLabels, numericGrad, assertClose, dot } from './helpers.ts';

const B = 3, IN = 5, OUT = 4;

test('matmulForward equals the textbook sum', () => {
  const rng = makeRng(10);
  const inp = randomF64(B * IN, rng), weight = randomF64(IN * OUT, rng), out = f64(B * OUT);
  matmulForward(out, inp, weight, B, IN, OUT);
  const expected = new Float64Array(B * OUT);
  for (let b = 0; b < B; b++) for (let o = 0; o < OUT; o++) {
    for (let i = 0; i < IN; i++) expected[b * OUT + o] += inp[b * IN + i] * weight[i * OUT + o];
  }
  assertClose(out, expected, 1e-12, 'out');
});

test('matmulBackward: dinp and dweight match finite differences of Σ out·dout', () => {
  const rng = makeRng(11);
  const inp = randomF64(B * IN, rng), weight = randomF64(IN * OUT, rng), dout = randomF64(B * OUT, rng);
  const out = f64(B * OUT);
  const L = () => { matmulForward(out, inp, weight, B, IN, OUT); return dot(out, dout); };
  const dinp = f64(B * IN), dweight = f64(IN * OUT);
  matmulBackward(dinp, dweight, dout, inp, weight, B, IN, OUT);
  assertClose(dinp, numericGrad(inp, L), 1e-7, 'dinp');
  assertClose(dweight, numericGrad(weight, L), 1e-7, 'dweight');
});

test('matmulBackward accumulates, and skips dinp when it is null', () => {
  const rng = makeRng(12);
  const inp = randomF64(B * IN, rng), weight = randomF64(IN * OUT, rng), dout = randomF64(B * OUT, rng);
  const once = f64(IN * OUT), twice = f64(IN * OUT);
  matmulBackward(null, once, dout, inp, weight, B, IN, OUT);
  matmulBackward(null, twice, dout, inp, weight, B, IN, OUT);
  matmulBackward(null, twice, dout, inp, weight, B, IN, OUT);
  assertClose(twice, once.map((v) => 2 * v), 1e-12, 'accumulated dweight');
});

test('bias forward broadcasts, backward sums over the batch (finite differences)', () => {
  const rng = makeRng(13);
  const base = randomF64(B * OUT, rng), bias = randomF64(OUT, rng), dout = randomF64(B * OUT, rng);
  const out = f64(B * OUT);
  const L = () => { out.set(base); biasForward(out, bias, B, OUT); return dot(out, dout); };
  L();
  for (let b = 0; b < B; b++) for (let o = 0; o < OUT; o++) assert.ok(Math.abs(out[b * OUT + o] - base[b * OUT + o] - bias[o]) < 1e-15);
  const dbias = f64(OUT);
  biasBackward(dbias, dout, B, OUT);
  assertClose(dbias, numericGrad(bias, L), 1e-7, 'dbias');
});

test('relu forward clamps at zero; backward matches finite differences away from the kink', () => {
  const rng = makeRng(14);
  const n = 40, inp = awayFromZero(n, rng), dout = randomF64(n, rng), out = f64(n);
  const L = () => { reluForward(out, inp, n); return dot(out, dout); };
  L();
  for (let i = 0; i < n; i++) assert.is(out[i], Math.max(0, inp[i]));
  const dinp = f64(n);
  reluBackward(dinp, dout, inp, n);
  assertClose(dinp, numericGrad(inp, L), 1e-7, 'dinp');
});

test('dropout keeps about 1-rate of values, scales them by 1/(1-rate), and backward matches finite differences', () => {
  const rng = makeRng(15);
  const n = 20000, rate = 0.2;
  const inp = randomF64(n, rng), out = f64(n), mask = f64(n);
  dropoutForward(out, mask, inp, rate, n, makeRng(99));
  let kept = 0;
  for (let i = 0; i < n; i++) {
    assert.ok(mask[i] === 0 || mask[i] === 1 / (1 - rate), `mask[${i}] = ${mask[i]}`);
    assert.is(out[i], inp[i] * mask[i]);
    if (mask[i] !== 0) kept++;
  }
  assert.ok(Math.abs(kept / n - 0.8) < 0.015, `kept ${kept / n}`);
  // Gradient with the mask held fixed: redraw it from the same generator state each evaluation.
  const small = 12, x = randomF64(small, rng), dout = randomF64(small, rng), o = f64(small), m = f64(small);
  const L = () => { dropoutForward(o, m, x, rate, small, makeRng(7)); return dot(o, dout); };
  L();
  const dinp = f64(small);
  dropoutBackward(dinp, dout, m, small);
  assertClose(dinp, numericGrad(x, L), 1e-7, 'dinp');
});

function referenceCE(logits: Float32Array, labels: Uint8Array, Bn: number, C: number): number {
  let loss = 0;
  for (let b = 0; b < Bn; b++) {
    let z = 0;
    for (let c = 0; c < C; c++) z += Math.exp(logits[b * C + c]);
    loss += -Math.log(Math.exp(logits[b * C + labels[b]]) / z);
  }
  return loss;
}

test('softmax cross-entropy forward equals -log softmax, probs sum to 1, argmax counted', () => {
  const rng = makeRng(16);
  const C = 10, logits = randomF64(B * C, rng, -3, 3), labels = randomLabels(B, C, rng), probs = f64(B * C);
  const result: LossResult = { lossSum: 0, correct: 0 };
  softmaxCrossEntropyForward(probs, logits, labels, B, C, result);
  assert.ok(Math.abs(result.lossSum - referenceCE(logits, labels, B, C)) < 1e-12);
  let correct = 0;
  for (let b = 0; b < B; b++) {
    let s = 0, best = 0;
    for (let c = 0; c < C; c++) { s += probs[b * C + c]; if (logits[b * C + c] > logits[b * C + best]) best = c; }
    assert.ok(Math.abs(s - 1) < 1e-12);
    if (best === labels[b]) correct++;
  }
  assert.is(result.correct, correct);
});

test('softmax cross-entropy backward matches finite differences of the batch-mean loss', () => {
  const rng = makeRng(17);
  const C = 10, logits = randomF64(B * C, rng, -3, 3), labels = randomLabels(B, C, rng), probs = f64(B * C);
  const result: LossResult = { lossSum: 0, correct: 0 };
  const L = () => { softmaxCrossEntropyForward(probs, logits, labels, B, C, result); return result.lossSum / B; };
  L();
  const dlogits = f64(B * C);
  softmaxCrossEntropyBackward(dlogits, probs, labels, B, C);
  assertClose(dlogits, numericGrad(logits, L), 1e-7, 'dlogits');
});

test('softmax cross-entropy stays finite for logits of magnitude 1e4', () => {
  const C = 10, logits = new Float32Array(2 * C), probs = new Float32Array(2 * C);
  logits[3] = 1e4; logits[7] = -1e4; logits[C + 5] = -1e4; logits[C + 1] = 1e4;
  const result: LossResult = { lossSum: 0, correct: 0 };
  softmaxCrossEntropyForward(probs, logits, new Uint8Array([3, 5]), 2, C, result);
  assert.ok(Number.isFinite(result.lossSum), `loss ${result.lossSum}`);
  assert.ok(Math.abs(result.lossSum - 2e4) < 1, `loss ${result.lossSum}`); // row 0 is right (0), row 1 costs 2e4
  assert.is(result.correct, 1);
  for (const p of probs) assert.ok(Number.isFinite(p));
});

test('glorotUniform stays inside ±sqrt(6/(in+out)) and fills the range', () => {
  const w = new Float32Array(784 * 128);
  glorotUniform(w, 784, 128, makeRng(1));
  const limit = Math.sqrt(6 / (784 + 128));
  let min = Infinity, max = -Infinity, mean = 0;
  for (const v of w) { min = Math.min(min, v); max = Math.max(max, v); mean += v / w.length; }
  assert.ok(min >= -limit && max <= limit);
  assert.ok(min < -0.99 * limit && max > 0.99 * limit);
  assert.ok(Math.abs(mean) < 0.01 * limit);
});

test('rng: same seed same stream, different seeds and streams differ; shuffle is a permutation', () => {
  const a = makeRng(5), b = makeRng(5), c = makeRng(6), d = makeRng(5, 1);
  const xs = [nextUint32(a), nextUint32(a)];
  assert.equal([nextUint32(b), nextUint32(b)], xs);
  assert.not.equal([nextUint32(c), nextUint32(c)], xs);
  assert.not.equal([nextUint32(d), nextUint32(d)], xs);
  const order = Uint32Array.from({ length: 1000 }, (_, i) => i);
  shuffle(order, makeRng(3));
  assert.equal([...order].sort((p, q) => p - q), Array.from({ length: 1000 }, (_, i) => i));
  assert.ok(order.some((v, i) => v !== i));
});

test('the gradient checker fails on a deliberately wrong gradient', () => {
  const rng = makeRng(18);
  const inp = randomF64(B * IN, rng), weight = randomF64(IN * OUT, rng), dout = randomF64(B * OUT, rng);
  const out = f64(B * OUT);
  const L = () => { matmulForward(out, inp, weight, B, IN, OUT); return dot(out, dout); };
  const dweight = f64(IN * OUT);
  matmulBackward(null, dweight, dout, inp, weight, B, IN, OUT);
  dweight[7] *= 1.001; // a 0.1% error in one element
  assert.throws(() => assertClose(dweight, numericGrad(weight, L), 1e-7, 'dweight'), /index 7/);
});

test.run();
