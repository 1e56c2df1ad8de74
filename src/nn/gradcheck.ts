// Gradient checking, as cs231n teaches it: every backward kernel, and the whole network's loss w.r.t.
// each parameter tensor, against centred differences in float64, judged by the worst relative error.
// Portable (no node:, no process): `npm run gradcheck` (bench/gradcheck.ts) prints what this returns.

import { matmulForward, matmulBackward } from '../tensor/matmul.ts';
import { biasForward, biasBackward } from '../tensor/bias.ts';
import { reluForward, reluBackward } from '../tensor/relu.ts';
import { dropoutForward, dropoutBackward } from '../tensor/dropout.ts';
import { softmaxCrossEntropyForward, softmaxCrossEntropyBackward, type LossResult } from '../tensor/softmax_cross_entropy.ts';
import { makeRng, nextFloat, type Rng } from '../tensor/rng.ts';
import { Model, type ModelShape } from './model.ts';

// The step of the centred difference. Its error is about h² · L''' / 6 (truncation) plus about
// 1e-16 · |L| / h (rounding the two losses): in float64 both are near 1e-11 at h = 1e-5. In float32
// the rounding term alone would be 1e-7 / 1e-5 = 1e-2, the "wrong" band: hence float64.
export const STEP = 1e-5;

// cs231n's bands for the relative error: > 1e-2 wrong, 1e-4 to 1e-2 suspicious, below 1e-4 fine for
// a function with kinks such as ReLU, below 1e-7 good.
export type Band = 'good' | 'ok' | 'suspicious' | 'wrong';

export function band(error: number): Band {
  if (!(error <= 1e-2)) return 'wrong'; // NaN too
  if (error > 1e-4) return 'suspicious';
  return error > 1e-7 ? 'ok' : 'good';
}

// |a - n| / max(|a|, |n|): scale-free, so one threshold serves gradients of any size. Two zeros agree.
export function relError(a: number, n: number): number {
  if (a === n) return 0;
  return Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n));
}

export interface Worst {
  error: number; // the largest relative error over all elements
  index: number; // where it is (-1 when every element agrees exactly)
  analytic: number;
  numeric: number;
}

export function worstElement(analytic: ArrayLike<number>, numeric: ArrayLike<number>): Worst {
  if (analytic.length !== numeric.length) throw new Error(`worstElement: lengths ${analytic.length} and ${numeric.length}`);
  let worst: Worst = { error: 0, index: -1, analytic: 0, numeric: 0 };
  for (let i = 0; i < analytic.length; i++) {
    const e = relError(analytic[i], numeric[i]);
    if (!(e <= worst.error)) worst = { error: Number.isNaN(e) ? Infinity : e, index: i, analytic: analytic[i], numeric: numeric[i] };
  }
  return worst;
}

// dL/dx[i] = (L(x + h·e_i) - L(x - h·e_i)) / 2h for every i, putting x[i] back afterwards. Its error
// is O(h²); the one-sided (L(x+h) - L(x)) / h would be O(h).
export function numericGrad(x: Float32Array, loss: () => number, h = STEP): Float64Array {
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i];
    x[i] = saved + h;
    const plus = loss();
    x[i] = saved - h;
    const minus = loss();
    x[i] = saved;
    grad[i] = (plus - minus) / (2 * h);
  }
  return grad;
}

// The kernels are plain loops over indexable buffers, so handed Float64Arrays they compute in double
// precision; the type says Float32Array because that is what training hands them.
export function f64(n: number): Float32Array {
  return new Float64Array(n) as unknown as Float32Array;
}

function uniform(n: number, rng: Rng, lo = -1, hi = 1): Float32Array {
  const a = f64(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * nextFloat(rng);
  return a;
}

function labelsFor(B: number, classes: number, rng: Rng): Uint8Array {
  const y = new Uint8Array(B);
  for (let b = 0; b < B; b++) y[b] = Math.floor(nextFloat(rng) * classes);
  return y;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

// The backward kernels a check calls. BACKWARD holds the real ones; --break swaps one for a wrong one.
export interface BackwardKernels {
  reluBackward: typeof reluBackward;
  biasBackward: typeof biasBackward;
  matmulBackward: typeof matmulBackward;
  dropoutBackward: typeof dropoutBackward;
  softmaxCrossEntropyBackward: typeof softmaxCrossEntropyBackward;
}

export const BACKWARD: BackwardKernels = { reluBackward, biasBackward, matmulBackward, dropoutBackward, softmaxCrossEntropyBackward };

export interface Check {
  name: string; // what was checked, e.g. 'matmul dweight' or 'network dW1'
  shape: string; // the gradient's shape, e.g. '(6,5)'
  worst: Worst;
  band: Band;
}

function check(name: string, shape: string, analytic: ArrayLike<number>, numeric: ArrayLike<number>): Check {
  const worst = worstElement(analytic, numeric);
  return { name, shape, worst, band: band(worst.error) };
}

// Each backward kernel through the scalar L = Σ out·dout with a random dout. Its gradient w.r.t. out
// is dout itself, so the chain rule makes dL/dinp exactly what backward(dout) must return. dout is
// random, so a mistake anywhere in the kernel shows (a wrong one would agree only by coincidence).
// Softmax cross-entropy is a loss already: it is checked on its own L, the batch-mean loss.
export const KERNEL_SHAPE = { B: 4, IN: 6, OUT: 5, C: 10, rate: 0.5 };

export function checkKernels(k: BackwardKernels = BACKWARD, seed = 1): Check[] {
  const { B, IN, OUT, C, rate } = KERNEL_SHAPE;
  const rng = makeRng(seed);
  const checks: Check[] = [];
  const n = B * OUT, out = f64(n), dout = uniform(n, rng);

  // ReLU: inputs in ±[0.1, 1], so that no x ± h crosses the kink at 0 (there L has no derivative).
  const x = f64(n);
  for (let i = 0; i < n; i++) x[i] = (0.1 + 0.9 * nextFloat(rng)) * (nextFloat(rng) < 0.5 ? -1 : 1);
  const reluL = (): number => { reluForward(out, x, n); return dot(out, dout); };
  const dx = f64(n);
  k.reluBackward(dx, dout, x, n);
  checks.push(check('relu dinp', `(${B},${OUT})`, dx, numericGrad(x, reluL)));

  const base = uniform(n, rng), bias = uniform(OUT, rng);
  const biasL = (): number => { out.set(base); biasForward(out, bias, B, OUT); return dot(out, dout); };
  const dbias = f64(OUT);
  k.biasBackward(dbias, dout, B, OUT);
  checks.push(check('bias dbias', `(${OUT})`, dbias, numericGrad(bias, biasL)));

  const inp = uniform(B * IN, rng), weight = uniform(IN * OUT, rng);
  const matmulL = (): number => { matmulForward(out, inp, weight, B, IN, OUT); return dot(out, dout); };
  const dinp = f64(B * IN), dweight = f64(IN * OUT);
  k.matmulBackward(dinp, dweight, dout, inp, weight, B, IN, OUT);
  checks.push(check('matmul dinp = dout·weightᵀ', `(${B},${IN})`, dinp, numericGrad(inp, matmulL)));
  checks.push(check('matmul dweight = inpᵀ·dout', `(${IN},${OUT})`, dweight, numericGrad(weight, matmulL)));

  // Dropout: every evaluation redraws its mask from the same generator state, so the mask is fixed
  // and L is a smooth function of the input. (A fresh mask per call would make L jump at random.)
  const drop = uniform(n, rng), mask = f64(n), maskSeed = seed + 1000;
  const dropoutL = (): number => { dropoutForward(out, mask, drop, rate, n, makeRng(maskSeed)); return dot(out, dout); };
  dropoutL();
  const ddrop = f64(n);
  k.dropoutBackward(ddrop, dout, mask, n);
  checks.push(check(`dropout dinp (rate ${rate}, mask fixed)`, `(${B},${OUT})`, ddrop, numericGrad(drop, dropoutL)));

  const logits = uniform(B * C, rng, -3, 3), labels = labelsFor(B, C, rng), probs = f64(B * C);
  const result: LossResult = { lossSum: 0, correct: 0 };
  const lossL = (): number => { softmaxCrossEntropyForward(probs, logits, labels, B, C, result); return result.lossSum / B; };
  lossL();
  const dlogits = f64(B * C);
  k.softmaxCrossEntropyBackward(dlogits, probs, labels, B, C);
  checks.push(check('softmax cross-entropy dlogits (L = mean loss)', `(${B},${C})`, dlogits, numericGrad(logits, lossL)));
  return checks;
}

// The whole network, small enough that every parameter is checked: its real loss, its real backward.
export const NETWORK: ModelShape = { inputs: 20, hidden: 16, classes: 10, dropoutRate: 0.2 };
export const NETWORK_BATCH = 8;

export interface NetworkCheck {
  checks: Check[]; // dW1, db1, dW2, db2
  // The smallest |pre-activation| of the ReLU layer. A step of h moves a pre-activation by at most
  // h here (inputs are in [0, 1]), so while this is above h no difference crosses the kink.
  kinkMargin: number;
}

export function checkNetwork(k: BackwardKernels = BACKWARD, seed = 1, shape = NETWORK, B = NETWORK_BATCH): NetworkCheck {
  const rng = makeRng(seed);
  const model = new Model(shape, B, seed, f64);
  for (const b of [model.b1, model.b2]) for (let i = 0; i < b.length; i++) b[i] = 0.1 * (2 * nextFloat(rng) - 1); // Keras starts them at 0: any value must work
  const x = uniform(B * shape.inputs, rng, 0, 1), y = labelsFor(B, shape.classes, rng);
  if (k !== BACKWARD) routeThrough(model, k);
  const saved = { ...model.dropout.rng };
  const L = (): number => {
    Object.assign(model.dropout.rng, saved); // the same dropout mask every time
    return model.forward(x, y, B, true) / B;
  };
  L();
  let kinkMargin = Infinity;
  for (let i = 0; i < B * shape.hidden; i++) kinkMargin = Math.min(kinkMargin, Math.abs(model.dense1.preact[i]));
  model.zeroGrad();
  model.backward(x, y, B);
  const { inputs: IN, hidden: H, classes: C } = shape;
  const checks = [
    check('network dW1', `(${IN},${H})`, model.dW1, numericGrad(model.W1, L)),
    check('network db1', `(${H})`, model.db1, numericGrad(model.b1, L)),
    check('network dW2', `(${H},${C})`, model.dW2, numericGrad(model.W2, L)),
    check('network db2', `(${C})`, model.db2, numericGrad(model.b2, L)),
  ];
  return { checks, kinkMargin };
}

// Makes model.backward call its kernels from k: each layer's backward, line for line as in dense.ts,
// dropout.ts and loss.ts, with k's kernels in place of the imported ones. Only --break needs it (the
// honest check runs the layers as they are); a test checks that with BACKWARD it changes nothing.
export function routeThrough(model: Model, k: BackwardKernels): void {
  for (const layer of [model.dense1, model.dense2]) {
    layer.backward = (dinp: Float32Array | null, inp: Float32Array, B: number): void => {
      const n = B * layer.outputs;
      if (layer.activation === 'relu') {
        layer.dpreact.fill(0, 0, n);
        k.reluBackward(layer.dpreact, layer.dout, layer.preact, n);
      }
      k.biasBackward(layer.dbias, layer.dpreact, B, layer.outputs);
      k.matmulBackward(dinp, layer.dweight, layer.dpreact, inp, layer.weight, B, layer.inputs, layer.outputs);
    };
  }
  const { dropout, loss } = model;
  dropout.backward = (dinp: Float32Array, B: number): void =>
    k.dropoutBackward(dinp, dropout.dout, dropout.mask, B * dropout.size);
  loss.backward = (dlogits: Float32Array, labels: Uint8Array, B: number): void =>
    k.softmaxCrossEntropyBackward(dlogits, loss.probs, labels, B, loss.classes);
}

// ---- Wrong on purpose: `npm run gradcheck -- --break NAME`, so a student sees a wrong gradient fail. ----
// Each is a bug people really write, made here as a wrapper around (or a stand-in for) the real
// kernel. The kernel files are never touched, and nothing outside the gradient check reaches these.
export interface Break {
  name: string;
  what: string;
  kernels: Partial<BackwardKernels>;
}

export const BREAKS: readonly Break[] = [
  {
    name: 'softmax-mean', what: 'softmax cross-entropy backward drops the 1/B: the gradient of the summed loss, not the mean',
    kernels: {
      softmaxCrossEntropyBackward: (dlogits, probs, labels, B, C) => {
        softmaxCrossEntropyBackward(dlogits, probs, labels, B, C);
        for (let i = 0; i < B * C; i++) dlogits[i] *= B;
      },
    },
  },
  {
    name: 'relu-mask', what: 'ReLU backward forgets its mask: dinp += dout also where inp <= 0',
    kernels: { reluBackward: (dinp, dout, _inp, n) => { for (let i = 0; i < n; i++) dinp[i] += dout[i]; } },
  },
  {
    name: 'dropout-scale', what: 'dropout backward forgets the inverted scaling: a kept value passes dout times 1, not 1/(1-rate)',
    kernels: { dropoutBackward: (dinp, dout, mask, n) => { for (let i = 0; i < n; i++) if (mask[i] !== 0) dinp[i] += dout[i]; } },
  },
  {
    name: 'bias-sum', what: 'bias backward takes the first example only instead of summing dout over the batch',
    kernels: { biasBackward: (dbias, dout, _B, OUT) => biasBackward(dbias, dout, 1, OUT) },
  },
  {
    name: 'matmul-batch', what: 'matmul backward stops one example short (an off-by-one in its batch loops)',
    kernels: { matmulBackward: (dinp, dweight, dout, inp, weight, B, IN, OUT) => matmulBackward(dinp, dweight, dout, inp, weight, B - 1, IN, OUT) },
  },
  {
    name: 'matmul-dinp', what: 'matmul backward never fills dinp, so no gradient reaches the layer below',
    kernels: { matmulBackward: (_dinp, dweight, dout, inp, weight, B, IN, OUT) => matmulBackward(null, dweight, dout, inp, weight, B, IN, OUT) },
  },
];

// The backward kernels with the named break swapped in, or null for an unknown name.
export function brokenKernels(name: string): BackwardKernels | null {
  const found = BREAKS.find((b) => b.name === name);
  return found === undefined ? null : { ...BACKWARD, ...found.kernels };
}
