// Every fast twin against its naive twin: random inputs with plenty of exact zeros (so the sparse and
// zero-skipping paths are exercised), odd shapes (outputs not a multiple of 8), and short batches.
// In float32, as training runs them, within 1e-5 relative; in float64 the same sums agree to 1e-12.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { matmulForward, matmulBackward, matmulForwardFast, matmulBackwardFast, matmulForwardSparse, matmulBackwardSparse } from '../src/tensor/matmul.ts';
import { biasForward } from '../src/tensor/bias.ts';
import { reluForward, reluBackward } from '../src/tensor/relu.ts';
import { dropoutForward, dropoutBackward, dropoutMaskColumns } from '../src/tensor/dropout.ts';
import { biasReluDropoutForward, reluDropoutBackward, sparseBackwardAdam } from '../src/tensor/fused.ts';
import { adamUpdate, adamUpdateFast } from '../src/tensor/adam.ts';
import { makeNonZeros, gatherRows, gatherRowsFromBytes, gatherCols } from '../src/tensor/nonzeros.ts';
import { makeRng, nextFloat, type Rng } from '../src/tensor/rng.ts';
import { KERAS_ADAM } from '../src/nn/optimizer.ts';
import { fillBatch, fillBatchFast, PIXELS, PIXEL_SCALE } from '../src/train/data/batch.ts';
import { loadMnist, packageDataDir } from '../src/node/mnist_files.ts';
import { f64, randomF32, randomF64, assertClose } from './helpers.ts';

// Sets about `fraction` of the values to exactly 0.
function sprinkleZeros(a: Float32Array, fraction: number, rng: Rng): Float32Array {
  for (let i = 0; i < a.length; i++) if (nextFloat(rng) < fraction) a[i] = 0;
  return a;
}

// Shapes: training-like, and odd ones where OUT % 8 != 0 and rows are short.
const SHAPES: [number, number, number][] = [[32, 784, 128], [32, 128, 10], [5, 37, 19], [3, 9, 7], [1, 16, 8]];
const F32 = 1e-5, F64 = 1e-12;
// Float32 sums of opposite signs can cancel to near zero; differences below this share of the
// output's scale are rounding, not a wrong term.
const floorOf = (xs: ArrayLike<number>) => 1e-6 * Math.max(...Array.from(xs, Math.abs));

for (const [B, IN, OUT] of SHAPES) {
  for (const precision of ['f32', 'f64'] as const) {
    const rand = precision === 'f32' ? randomF32 : randomF64;
    const alloc = precision === 'f32' ? (n: number) => new Float32Array(n) : f64;
    const tol = precision === 'f32' ? F32 : F64;

    test(`matmulForwardFast equals matmulForward (${precision}, ${B}x${IN}x${OUT})`, () => {
      const rng = makeRng(B * 1000 + IN + OUT);
      const inp = sprinkleZeros(rand(B * IN, rng), 0.6, rng), weight = rand(IN * OUT, rng);
      const naive = alloc(B * OUT), fast = alloc(B * OUT).fill(123); // fast must overwrite, not add
      matmulForward(naive, inp, weight, B, IN, OUT);
      matmulForwardFast(fast, inp, weight, B, IN, OUT);
      assertClose(fast, naive, tol, 'out', floorOf(naive));
    });

    test(`matmulBackwardFast equals matmulBackward, accumulating (${precision}, ${B}x${IN}x${OUT})`, () => {
      const rng = makeRng(B * 2000 + IN + OUT);
      const inp = sprinkleZeros(rand(B * IN, rng), 0.6, rng), weight = rand(IN * OUT, rng), dout = rand(B * OUT, rng);
      const start = rand(IN * OUT, rng), startIn = rand(B * IN, rng);
      const dwN = alloc(IN * OUT), dwF = alloc(IN * OUT), diN = alloc(B * IN), diF = alloc(B * IN);
      dwN.set(start); dwF.set(start); diN.set(startIn); diF.set(startIn);
      matmulBackward(diN, dwN, dout, inp, weight, B, IN, OUT);
      matmulBackwardFast(diF, dwF, dout, inp, weight, B, IN, OUT);
      assertClose(dwF, dwN, tol, 'dweight', floorOf(dwN));
      assertClose(diF, diN, tol, 'dinp', floorOf(diN));
      const dwNull = alloc(IN * OUT);
      dwNull.set(start);
      matmulBackwardFast(null, dwNull, dout, inp, weight, B, IN, OUT);
      assertClose(dwNull, dwN, tol, 'dweight with dinp null', floorOf(dwN));
    });

    test(`sparse twins equal the dense naive kernels (${precision}, ${B}x${IN}x${OUT}, 81% zeros)`, () => {
      const rng = makeRng(B * 3000 + IN + OUT);
      const inp = sprinkleZeros(rand(B * IN, rng, 0, 1), 0.81, rng), weight = rand(IN * OUT, rng), dout = rand(B * OUT, rng);
      const nz = makeNonZeros(B, IN);
      gatherRows(nz, inp, 0, B);
      gatherCols(nz, B);
      const naive = alloc(B * OUT), fast = alloc(B * OUT).fill(7);
      matmulForward(naive, inp, weight, B, IN, OUT);
      matmulForwardSparse(fast, nz, weight, B, IN, OUT);
      assertClose(fast, naive, tol, 'out', floorOf(naive));
      const start = rand(IN * OUT, rng), dwN = alloc(IN * OUT), dwF = alloc(IN * OUT);
      dwN.set(start); dwF.set(start);
      matmulBackward(null, dwN, dout, inp, weight, B, IN, OUT);
      matmulBackwardSparse(dwF, dout, nz, B, IN, OUT);
      assertClose(dwF, dwN, tol, 'dweight', floorOf(dwN));
    });
  }
}

test('sparse twins on a short last batch, gathered in two row ranges into buffers sized for a longer one', () => {
  const rng = makeRng(41);
  const maxBatch = 8, B = 5, IN = 30, OUT = 12;
  const inp = sprinkleZeros(randomF32(maxBatch * IN, rng), 0.7, rng);
  for (let i = 0; i < IN; i++) inp[2 * IN + i] = 0; // a row with no non-zeros at all
  const weight = randomF32(IN * OUT, rng), dout = randomF32(maxBatch * OUT, rng);
  const nz = makeNonZeros(maxBatch, IN);
  gatherCols(nz, maxBatch); // stale columns from an earlier, longer batch must not leak in
  gatherRows(nz, inp, 0, 2);
  gatherRows(nz, inp, 2, B);
  gatherCols(nz, B);
  assert.is(nz.rowCount[2], 0);
  const naive = new Float32Array(maxBatch * OUT), fast = new Float32Array(maxBatch * OUT);
  matmulForward(naive, inp, weight, B, IN, OUT);
  matmulForwardSparse(fast, nz, weight, B, IN, OUT);
  assertClose(fast.subarray(0, B * OUT), naive.subarray(0, B * OUT), F32, 'out', floorOf(naive));
  const dwN = new Float32Array(IN * OUT), dwF = new Float32Array(IN * OUT);
  matmulBackward(null, dwN, dout, inp, weight, B, IN, OUT);
  matmulBackwardSparse(dwF, dout, nz, B, IN, OUT);
  assertClose(dwF, dwN, F32, 'dweight', floorOf(dwN));
});

test('gatherRows/gatherCols list exactly the non-zeros, in order', () => {
  const inp = new Float32Array([0, 2, 0, 3, 0, 0, 5, 0, 0, 0, 0, 0]); // 3 rows of 4
  const nz = makeNonZeros(3, 4);
  gatherRows(nz, inp, 0, 3);
  gatherCols(nz, 3);
  assert.equal([...nz.rowCount], [2, 1, 0]);
  assert.equal([...nz.rowIndex.subarray(0, 2)], [1, 3]);
  assert.equal([...nz.rowValue.subarray(0, 2)], [2, 3]);
  assert.equal([nz.rowIndex[4], nz.rowValue[4]], [2, 5]);
  assert.equal([...nz.colCount], [0, 1, 1, 1]);
  assert.equal([nz.colIndex[1 * 3], nz.colValue[1 * 3]], [0, 2]);
  assert.equal([nz.colIndex[2 * 3], nz.colValue[2 * 3]], [1, 5]);
  assert.throws(() => matmulForwardSparse(new Float32Array(6), nz, new Float32Array(8), 3, 3, 2), /non-zeros gathered for 3x4/);
  // The indices are 16-bit: the largest batch and width that fit are allowed, one more is refused.
  const widest = makeNonZeros(1, 65536);
  gatherRows(widest, Object.assign(new Float32Array(65536), { 65535: 1 }), 0, 1);
  assert.equal([widest.rowCount[0], widest.rowIndex[0]], [1, 65535]);
  assert.throws(() => makeNonZeros(65537, 4), /at most 65536 rows and columns, not 65537x4/);
  assert.throws(() => makeNonZeros(2, 65537), /not 2x65537/);
});

test('adamUpdateFast equals adamUpdate over several steps, and flags NaN and infinite gradients', () => {
  const rng = makeRng(42);
  const n = 1001;
  const pN = randomF32(n, rng), pF = pN.slice(), mN = new Float32Array(n), mF = new Float32Array(n), vN = new Float32Array(n), vF = new Float32Array(n);
  for (let t = 1; t <= 5; t++) {
    const g = randomF32(n, rng, -0.1, 0.1);
    g[3] = 0;
    assert.ok(adamUpdate(pN, mN, vN, g, KERAS_ADAM, t, n));
    assert.ok(adamUpdateFast(pF, mF, vF, g, KERAS_ADAM, t, n));
    assertClose(mF, mN, 0, 'm');
    assertClose(vF, vN, 0, 'v');
    assertClose(pF, pN, F32, 'params');
  }
  for (const bad of [NaN, Infinity, -Infinity]) {
    const g = new Float32Array(n);
    g[500] = bad;
    assert.is(adamUpdateFast(pF.slice(), mF.slice(), vF.slice(), g, KERAS_ADAM, 6, n), false, String(bad));
  }
});

test('fused bias+ReLU+dropout forward and its backward equal the naive chain bit for bit', () => {
  const rng = makeRng(43);
  const B = 6, OUT = 13, n = B * OUT, rate = 0.2;
  const base = randomF32(n, rng), bias = randomF32(OUT, rng, -0.3, 0.3), dout = randomF32(n, rng);
  base[5] = -bias[5]; // a pre-activation of exactly 0: the kink
  // naive: bias, ReLU, dropout (drawing its mask)
  const preN = base.slice(), relu = new Float32Array(n), outN = new Float32Array(n), mask = new Float32Array(n);
  biasForward(preN, bias, B, OUT);
  reluForward(relu, preN, n);
  dropoutForward(outN, mask, relu, rate, n, makeRng(9));
  // fast: one pass, given the same mask
  const preF = base.slice(), outF = new Float32Array(n);
  biasReluDropoutForward(outF, preF, bias, mask, B, OUT);
  assert.equal([...preF], [...preN]);
  assert.equal([...outF], [...outN]);
  const evalOut = new Float32Array(n);
  biasReluDropoutForward(evalOut, base.slice(), bias, null, B, OUT);
  assert.equal([...evalOut], [...relu]);
  // backward: dropout then ReLU, accumulating into a non-zero start
  const start = randomF32(n, rng), dhid = new Float32Array(n), dpreN = start.slice(), dpreF = start.slice();
  dropoutBackward(dhid, dout, mask, n);
  reluBackward(dpreN, dhid, preN, n);
  reluDropoutBackward(dpreF, dout, preF, mask, n);
  assert.equal([...dpreF], [...dpreN]);
});

test('fused bias+ReLU+dropout and its backward, branch-free, still equal the naive chain with NaN and infinite values', () => {
  const rng = makeRng(47);
  const B = 4, OUT = 9, n = B * OUT, rate = 0.2;
  const mask = new Float32Array(n);
  dropoutForward(new Float32Array(n), mask, new Float32Array(n).fill(1), rate, n, makeRng(3));
  for (const [where, bad] of [[0, NaN], [5, Infinity], [11, -Infinity]] as const) {
    const base = randomF32(n, rng), bias = randomF32(OUT, rng, -0.3, 0.3);
    base[where] = bad;
    const preN = base.slice(), relu = new Float32Array(n), outN = new Float32Array(n);
    biasForward(preN, bias, B, OUT);
    reluForward(relu, preN, n);
    for (let i = 0; i < n; i++) outN[i] = relu[i] * mask[i];
    const preF = base.slice(), outF = new Float32Array(n);
    biasReluDropoutForward(outF, preF, bias, mask, B, OUT);
    assert.equal([...preF], [...preN], `preact with ${bad}`);
    assert.equal([...outF], [...outN], `out with ${bad}`);
    assert.is(outF[where], bad === Infinity ? Infinity : 0, `ReLU of ${bad}`);
    // backward: a non-finite gradient at a unit ReLU switched off must not reach dpreact
    const dout = randomF32(n, rng), preact = base.slice().map((v, i) => (i === where ? -1 : v));
    dout[where] = bad;
    const dhid = new Float32Array(n), dpreN = new Float32Array(n), dpreF = new Float32Array(n);
    dropoutBackward(dhid, dout, mask, n);
    reluBackward(dpreN, dhid, preact, n);
    reluDropoutBackward(dpreF, dout, preact, mask, n);
    assert.equal([...dpreF], [...dpreN], `dpreact with ${bad}`);
    assert.is(dpreF[where], 0);
  }
});

test('dense layer-2 twins match the naive loops where a zero input meets an infinite weight (NaN, as 0·Infinity is)', () => {
  const B = 2, IN = 3, OUT = 9;
  const inp = new Float32Array([0, 1, 2, 0, 0.5, 0]), weight = randomF32(IN * OUT, makeRng(48));
  weight[0] = Infinity; // row 0 meets only zero inputs
  const naive = new Float32Array(B * OUT), fast = new Float32Array(B * OUT);
  matmulForward(naive, inp, weight, B, IN, OUT);
  matmulForwardFast(fast, inp, weight, B, IN, OUT);
  assert.equal([...fast], [...naive]);
  assert.ok(Number.isNaN(fast[0]) && Number.isNaN(fast[OUT]));
  const dout = randomF32(B * OUT, makeRng(49));
  dout[1] = -Infinity;
  const [dwN, dwF, diN, diF] = [IN * OUT, IN * OUT, B * IN, B * IN].map((k) => new Float32Array(k));
  matmulBackward(diN, dwN, dout, inp, weight, B, IN, OUT);
  matmulBackwardFast(diF, dwF, dout, inp, weight, B, IN, OUT);
  assert.equal([...dwF], [...dwN]);
  assert.ok(Number.isNaN(dwF[1]), '0·-Infinity in dweight');
});

test('fused layer-1 gradient + Adam equals its chain: bit for bit the fast kernels (dout as float32 or float64), 1e-5 the naive ones', () => {
  const rng = makeRng(44);
  const B = 7, IN = 12, OUT = 11, n = IN * OUT; // OUT not a multiple of 8: the tail loop too
  const never = 4, sometimes = 9; // pixel 4 is never lit; pixel 9 only in odd steps
  const W0 = randomF32(n, rng);
  const [Wc, mc, vc, dWc] = [W0.slice(), new Float32Array(n), new Float32Array(n), new Float32Array(n)]; // fast chain
  const [Wn, mn, vn, dWn] = [W0.slice(), new Float32Array(n), new Float32Array(n), new Float32Array(n)]; // naive chain
  const [Wf, mf, vf, gradRow] = [W0.slice(), new Float32Array(n), new Float32Array(n), new Float32Array(OUT)]; // fused
  const [W64, m64, v64] = [W0.slice(), new Float32Array(n), new Float32Array(n)], lit64 = new Uint8Array(IN); // fused, dout as float64
  const lit = new Uint8Array(IN), nz = makeNonZeros(B, IN);
  for (let t = 1; t <= 6; t++) {
    const x = sprinkleZeros(randomF32(B * IN, rng, 0, 1), 0.6, rng);
    for (let b = 0; b < B; b++) {
      x[b * IN + never] = 0;
      if (t % 2 === 0) x[b * IN + sometimes] = 0;
    }
    const dout = randomF32(B * OUT, rng, -0.1, 0.1);
    gatherRows(nz, x, 0, B);
    gatherCols(nz, B);
    dWc.fill(0);
    matmulBackwardSparse(dWc, dout, nz, B, IN, OUT);
    assert.ok(adamUpdateFast(Wc, mc, vc, dWc, KERAS_ADAM, t, n));
    dWn.fill(0);
    matmulBackward(null, dWn, dout, x, Wn, B, IN, OUT);
    assert.ok(adamUpdate(Wn, mn, vn, dWn, KERAS_ADAM, t, n));
    assert.ok(sparseBackwardAdam(Wf, mf, vf, gradRow, dout, nz, lit, KERAS_ADAM, t, B, IN, OUT));
    assert.ok(sparseBackwardAdam(W64, m64, v64, new Float32Array(OUT), Float64Array.from(dout), nz, lit64, KERAS_ADAM, t, B, IN, OUT));
    assert.equal([...W64, ...m64, ...v64], [...Wf, ...mf, ...vf], `dout as a Float64Array, step ${t}`);
    for (const [name, fused, chain] of [['W', Wf, Wc], ['m', mf, mc], ['v', vf, vc], ['last row of dW', gradRow, dWc.subarray(n - OUT)]] as const) {
      assert.equal([...fused], [...chain], `${name}, step ${t}`);
    }
    assertClose(Wf, Wn, F32, 'W against the naive chain');
  }
  assert.is(lit[never], 0);
  assert.is(lit[sometimes], 1);
  for (let o = 0; o < OUT; o++) assert.is(Wf[never * OUT + o], W0[never * OUT + o]); // skipped, and rightly: unchanged
  for (const bad of [NaN, Infinity, -Infinity]) {
    const dout = new Float32Array(B * OUT);
    dout[3] = bad;
    assert.is(sparseBackwardAdam(Wf.slice(), mf.slice(), vf.slice(), gradRow, dout, nz, lit, KERAS_ADAM, 7, B, IN, OUT), false, String(bad));
  }
});

test('sparseBackwardAdam over rows i0..i1 (threads share W1 out in chunks): any cut into ranges gives the one call\'s bits', () => {
  const rng = makeRng(41);
  const B = 9, IN = 37, OUT = 16;
  const nz = makeNonZeros(B, IN);
  const W0 = randomF32(IN * OUT, rng, -0.1, 0.1), gradRow = new Float32Array(OUT);
  const whole = { W: W0.slice(), m: new Float32Array(IN * OUT), v: new Float32Array(IN * OUT), lit: new Uint8Array(IN) };
  const cut = { W: W0.slice(), m: new Float32Array(IN * OUT), v: new Float32Array(IN * OUT), lit: new Uint8Array(IN) };
  let litThenDark = 0;
  for (let t = 1; t <= 6; t++) {
    // A new batch each step, pixels 0-9 dark from step 4 on: rows lit before and dark now take the
    // decay-only branch.
    const x = sprinkleZeros(randomF32(B * IN, rng, 0, 1), 0.7, rng);
    if (t >= 4) for (let b = 0; b < B; b++) x.fill(0, b * IN, b * IN + 10);
    gatherRows(nz, x, 0, B);
    gatherCols(nz, B);
    for (let i = 0; i < 10; i++) if (whole.lit[i] === 1 && nz.colCount[i] === 0) litThenDark++;
    const dout = randomF32(B * OUT, rng, -0.1, 0.1);
    assert.ok(sparseBackwardAdam(whole.W, whole.m, whole.v, gradRow, dout, nz, whole.lit, KERAS_ADAM, t, B, IN, OUT));
    const cuts = [0, 1 + t, 16, 16, 17, 30, IN]; // uneven ranges, [16,16) empty, taken in a shuffled order
    for (const k of [3, 0, 5, 4, 2, 1]) assert.ok(sparseBackwardAdam(cut.W, cut.m, cut.v, gradRow, dout, nz, cut.lit, KERAS_ADAM, t, B, IN, OUT, cuts[k], cuts[k + 1]));
    for (const name of ['W', 'm', 'v', 'lit'] as const) assert.equal([...cut[name]], [...whole[name]], `${name}, step ${t}`);
  }
  assert.ok(litThenDark > 0, 'some rows were lit before and dark in a later batch');
  for (const [i0, i1] of [[0, IN + 1], [-1, 5], [20, 10]]) {
    assert.throws(() => sparseBackwardAdam(cut.W, cut.m, cut.v, gradRow, new Float32Array(B * OUT), nz, cut.lit, KERAS_ADAM, 7, B, IN, OUT, i0, i1), /do not fit/, `${i0}..${i1}`);
  }
});

test('dropoutMaskColumns draws, for any block of units, exactly dropoutForward\'s mask, and moves the generator as far', () => {
  const B = 5, H = 13, rate = 0.2;
  const full = new Float32Array(B * H), ones = new Float32Array(B * H).fill(1), reference = makeRng(5, 1);
  dropoutForward(new Float32Array(B * H), full, ones, rate, B * H, reference);
  let kept = 0;
  for (const [h0, Ht] of [[0, 13], [0, 8], [8, 5], [3, 4], [12, 1]]) {
    const rng = makeRng(5, 1), mask = new Float32Array(B * Ht).fill(NaN);
    dropoutMaskColumns(mask, rate, B, H, h0, Ht, rng);
    for (let b = 0; b < B; b++) for (let j = 0; j < Ht; j++) assert.is(mask[b * Ht + j], full[b * H + h0 + j], `block ${h0}+${Ht}, row ${b}, unit ${j}`);
    assert.equal(rng, reference, 'the generator ends where dropoutForward left it');
  }
  for (const m of full) if (m !== 0) kept++;
  assert.ok(kept > 0 && kept < B * H, 'some units dropped, some kept');
  assert.throws(() => dropoutMaskColumns(new Float32Array(B * 4), rate, B, H, 10, 4, makeRng(1)), /do not fit/);
});

test('fillBatchFast fills exactly what fillBatch fills, on real images and on bytes off a 4-byte boundary', () => {
  const { train } = loadMnist(packageDataDir());
  const order = Uint32Array.from({ length: 64 }, (_, i) => (i * 7919) % train.count);
  const B = 32;
  const xN = new Float32Array(B * PIXELS), yN = new Uint8Array(B), xF = new Float32Array(B * PIXELS).fill(9), yF = new Uint8Array(B);
  for (const start of [0, 32]) {
    fillBatch(xN, yN, train.images, train.labels, order, start, B);
    fillBatchFast(xF, yF, train.images, train.labels, order, start, B);
    assert.equal([...xF], [...xN]);
    assert.equal([...yF], [...yN]);
  }
  const shifted = new Uint8Array(4 * PIXELS + 1).subarray(1); // byteOffset 1
  shifted.set(train.images.subarray(0, 4 * PIXELS));
  const four = Uint32Array.from([3, 1, 0, 2]);
  fillBatch(xN, yN, shifted, train.labels, four, 0, 4);
  fillBatchFast(xF, yF, shifted, train.labels, four, 0, 4);
  assert.equal([...xF.subarray(0, 4 * PIXELS)], [...xN.subarray(0, 4 * PIXELS)]);
});

test('gatherRowsFromBytes finds exactly what fillBatch then gatherRows find', () => {
  const { train } = loadMnist(packageDataDir());
  const B = 32, maxBatch = 40;
  const bytes = new Uint8Array(maxBatch * PIXELS);
  bytes.set(train.images.subarray(5000 * PIXELS, (5000 + B) * PIXELS));
  for (let p = 0; p < PIXELS; p++) bytes[3 * PIXELS + p] = p % 3 === 0 ? 255 : 0; // bright pixels inside words
  const x = new Float32Array(maxBatch * PIXELS), y = new Uint8Array(maxBatch), labels = new Uint8Array(B);
  fillBatch(x, y, bytes, labels, Uint32Array.from({ length: B }, (_, i) => i), 0, B);
  const expected = makeNonZeros(maxBatch, PIXELS), actual = makeNonZeros(maxBatch, PIXELS);
  gatherRows(expected, x, 0, B);
  const words = new Uint32Array(bytes.buffer);
  gatherRowsFromBytes(actual, words, PIXEL_SCALE, 0, 7);
  gatherRowsFromBytes(actual, words, PIXEL_SCALE, 7, B);
  for (let b = 0; b < B; b++) {
    const n = expected.rowCount[b], at = b * PIXELS;
    assert.is(actual.rowCount[b], n, `row ${b}`);
    assert.equal([...actual.rowIndex.subarray(at, at + n)], [...expected.rowIndex.subarray(at, at + n)]);
    assert.equal([...actual.rowValue.subarray(at, at + n)], [...expected.rowValue.subarray(at, at + n)]);
  }
});

test.run();
