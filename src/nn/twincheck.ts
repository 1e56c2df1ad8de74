// Each fast twin against its naive twin (`npm run gradcheck -- --kernels fast`). The naive kernels
// pass the gradient check; a fast twin that computes the same numbers inherits that. In float64, so
// that a difference can only come from the order of the sums (or, in the fused forward and backward,
// from their deliberate rounding to float32, which training's float32 stores do anyway). Odd shapes
// (outputs not a multiple of 8, so the tail loops run too) with exact zeros sprinkled in (so the
// skipping runs too). Portable, like gradcheck.ts.

import { matmulForward, matmulBackward, matmulForwardFast, matmulBackwardFast, matmulForwardSparse, matmulBackwardSparse } from '../tensor/matmul.ts';
import { biasForward } from '../tensor/bias.ts';
import { reluForward, reluBackward } from '../tensor/relu.ts';
import { dropoutForward, dropoutBackward, dropoutMaskColumns } from '../tensor/dropout.ts';
import { biasReluDropoutForward, reluDropoutBackward, sparseBackwardAdam } from '../tensor/fused.ts';
import { adamUpdate, adamUpdateFast } from '../tensor/adam.ts';
import { makeNonZeros, gatherRows, gatherCols } from '../tensor/nonzeros.ts';
import { makeRng, nextFloat, type Rng } from '../tensor/rng.ts';
import { KERAS_ADAM } from './optimizer.ts';
import { band, f64, relError, type Band } from './gradcheck.ts';

export interface TwinCheck {
  name: string; // 'fast vs naive', what is compared
  maxAbs: number; // max |fast - naive| over all elements
  maxRel: number; // max |fast - naive| / max(|fast|, |naive|)
  band: Band; // of maxRel, in cs231n's bands
}

function compare(name: string, fast: ArrayLike<number>, naive: ArrayLike<number>): TwinCheck {
  let maxAbs = 0, maxRel = 0;
  for (let i = 0; i < naive.length; i++) {
    const abs = Math.abs(fast[i] - naive[i]), rel = relError(fast[i], naive[i]);
    if (!(abs <= maxAbs)) maxAbs = Number.isNaN(abs) ? Infinity : abs;
    if (!(rel <= maxRel)) maxRel = Number.isNaN(rel) ? Infinity : rel;
  }
  return { name, maxAbs, maxRel, band: band(maxRel) };
}

function uniform(n: number, rng: Rng, lo = -1, hi = 1, zeros = 0): Float32Array {
  const a = f64(n);
  for (let i = 0; i < n; i++) a[i] = nextFloat(rng) < zeros ? 0 : lo + (hi - lo) * nextFloat(rng);
  return a;
}

function copy(a: Float32Array): Float32Array {
  const c = f64(a.length);
  c.set(a);
  return c;
}

export function checkTwins(seed = 1): TwinCheck[] {
  const rng = makeRng(seed);
  const checks: TwinCheck[] = [];

  // Register blocking and zero skipping: a hidden layer's shape, 60% zeros as after ReLU and dropout.
  {
    const B = 5, IN = 37, OUT = 19;
    const inp = uniform(B * IN, rng, -1, 1, 0.6), weight = uniform(IN * OUT, rng), dout = uniform(B * OUT, rng);
    const naive = f64(B * OUT), fast = f64(B * OUT).fill(123); // fast must overwrite, not add
    matmulForward(naive, inp, weight, B, IN, OUT);
    matmulForwardFast(fast, inp, weight, B, IN, OUT);
    checks.push(compare('matmulForwardFast vs matmulForward: out', fast, naive));
    const start = uniform(IN * OUT, rng), startIn = uniform(B * IN, rng); // both accumulate
    const dwN = copy(start), dwF = copy(start), diN = copy(startIn), diF = copy(startIn);
    matmulBackward(diN, dwN, dout, inp, weight, B, IN, OUT);
    matmulBackwardFast(diF, dwF, dout, inp, weight, B, IN, OUT);
    checks.push(compare('matmulBackwardFast vs matmulBackward: dweight', dwF, dwN));
    checks.push(compare('matmulBackwardFast vs matmulBackward: dinp', diF, diN));
  }

  // The sparse layer-1 twins: pixels in [0, 1], 81% of them 0 as in MNIST.
  const B = 6, IN = 40, OUT = 12;
  const x = uniform(B * IN, rng, 0, 1, 0.81), W = uniform(IN * OUT, rng, -0.3, 0.3), dout1 = uniform(B * OUT, rng, -0.1, 0.1);
  const nz = makeNonZeros(B, IN);
  gatherRows(nz, x, 0, B);
  gatherCols(nz, B);
  {
    const naive = f64(B * OUT), fast = f64(B * OUT).fill(7);
    matmulForward(naive, x, W, B, IN, OUT);
    matmulForwardSparse(fast, nz, W, B, IN, OUT);
    checks.push(compare('matmulForwardSparse vs matmulForward: out', fast, naive));
    const dwN = f64(IN * OUT), dwF = f64(IN * OUT);
    matmulBackward(null, dwN, dout1, x, W, B, IN, OUT);
    matmulBackwardSparse(dwF, dout1, nz, B, IN, OUT);
    checks.push(compare('matmulBackwardSparse vs matmulBackward: dweight', dwF, dwN));
  }

  // The fused hidden layer: one pass where the naive path makes three.
  {
    const n = B * OUT, rate = 0.2;
    const base = uniform(n, rng), bias = uniform(OUT, rng, -0.3, 0.3), dout = uniform(n, rng);
    const preN = copy(base), relu = f64(n), outN = f64(n), mask = f64(n);
    biasForward(preN, bias, B, OUT);
    reluForward(relu, preN, n);
    dropoutForward(outN, mask, relu, rate, n, makeRng(seed, 1));
    const preF = copy(base), outF = f64(n);
    biasReluDropoutForward(outF, preF, bias, mask, B, OUT);
    checks.push(compare('biasReluDropoutForward vs bias, ReLU, dropout: out', outF, outN));
    const dhid = f64(n), dpreN = f64(n), dpreF = f64(n);
    dropoutBackward(dhid, dout, mask, n);
    reluBackward(dpreN, dhid, preN, n);
    reluDropoutBackward(dpreF, dout, preF, mask, n);
    checks.push(compare('reluDropoutBackward vs dropout, ReLU backward: dpreact', dpreF, dpreN));
    // The threaded engine draws the mask one block of columns at a time; it must be the same mask.
    const h0 = 3, Ht = 7, block = f64(B * Ht), whole = f64(B * Ht);
    dropoutMaskColumns(block, rate, B, OUT, h0, Ht, makeRng(seed, 1));
    for (let b = 0; b < B; b++) for (let j = 0; j < Ht; j++) whole[b * Ht + j] = mask[b * OUT + h0 + j];
    checks.push(compare(`dropoutMaskColumns vs dropoutForward: mask columns ${h0}..${h0 + Ht - 1}`, block, whole));
  }

  // Adam, three steps; then the fused W1 step against the chain it replaces.
  {
    const n = 101, pN = uniform(n, rng, -0.1, 0.1), pF = copy(pN);
    const mN = f64(n), vN = f64(n), mF = f64(n), vF = f64(n);
    const Wn = copy(W), Wf = copy(W), mn = f64(IN * OUT), vn = f64(IN * OUT), mf = f64(IN * OUT), vf = f64(IN * OUT);
    const dW = f64(IN * OUT), gradRow = f64(OUT), lit = new Uint8Array(IN);
    for (let t = 1; t <= 3; t++) {
      const g = uniform(n, rng, -0.1, 0.1);
      adamUpdate(pN, mN, vN, g, KERAS_ADAM, t, n);
      adamUpdateFast(pF, mF, vF, g, KERAS_ADAM, t, n);
      dW.fill(0);
      matmulBackward(null, dW, dout1, x, Wn, B, IN, OUT);
      adamUpdate(Wn, mn, vn, dW, KERAS_ADAM, t, IN * OUT);
      sparseBackwardAdam(Wf, mf, vf, gradRow, dout1, nz, lit, KERAS_ADAM, t, B, IN, OUT);
    }
    checks.push(compare('adamUpdateFast vs adamUpdate: params after 3 steps', pF, pN));
    checks.push(compare('sparseBackwardAdam vs dW = xᵀ·dout, adamUpdate: W1 after 3 steps', Wf, Wn));
  }
  return checks;
}
