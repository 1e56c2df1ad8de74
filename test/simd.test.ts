// The WebAssembly SIMD twins (src/tensor/simd) against their naive twins: random inputs with many
// exact zeros, in one WebAssembly.Memory, within 1e-5 relative (they compute in float32, the naive
// twins in float64 registers). Then the threaded engine with --kernels simd: a run repeats bit for
// bit, one thread and two stay close, and both stay close to the fast kernels.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { matmulForward, matmulBackward } from '../src/tensor/matmul.ts';
import { adamUpdate } from '../src/tensor/adam.ts';
import { makeNonZeros, gatherRows, gatherCols } from '../src/tensor/nonzeros.ts';
import { makeMemory, simdKernels } from '../src/tensor/simd/simd.ts';
import { regionArena } from '../src/tensor/simd/arena.ts';
import { makeRng, nextFloat, shuffle } from '../src/tensor/rng.ts';
import { KERAS_ADAM } from '../src/nn/optimizer.ts';
import { ThreadedEngine } from '../src/train/engines/threaded/engine.ts';
import { nodeThreads } from '../src/node/threads.ts';
import { loadMnist, packageDataDir } from '../src/node/mnist_files.ts';
import { identityOrder } from '../src/train/loop.ts';
import { assertClose } from './helpers.ts';

const F32 = 1e-5;
const floorOf = (xs: ArrayLike<number>) => 1e-6 * Math.max(...Array.from(xs, Math.abs));

// A memory, its kernels, and an arena over it for the test's arrays (filled in [lo, hi)).
function setup(shared: boolean) {
  const memory = makeMemory(8 << 20, shared);
  const arena = regionArena(memory.buffer, 0);
  const rng = makeRng(shared ? 7 : 8);
  const random = (n: number, lo = -1, hi = 1, zeros = 0) => {
    const a = arena.f32(n);
    for (let i = 0; i < n; i++) a[i] = nextFloat(rng) < zeros ? 0 : lo + (hi - lo) * nextFloat(rng);
    return a;
  };
  return { simd: simdKernels(memory), arena, random, rng };
}

for (const shared of [true, false]) {
  const which = shared ? 'shared memory' : 'plain memory';

  test(`simd adamUpdate matches adamUpdate over several steps, and flags non-finite gradients (${which})`, () => {
    const { simd, arena, random } = setup(shared);
    for (const n of [1003, 64, 3]) {
      const p = random(n), grads = random(n, -0.1, 0.1, 0.3), m = arena.f32(n), v = arena.f32(n);
      const pN = p.slice(), mN = new Float32Array(n), vN = new Float32Array(n);
      for (let t = 1; t <= 5; t++) {
        assert.ok(simd.adamUpdate(p, m, v, grads, KERAS_ADAM, t, n));
        adamUpdate(pN, mN, vN, grads, KERAS_ADAM, t, n);
      }
      assertClose(p, pN, F32, `params (n=${n})`);
      assertClose(m, mN, F32, `m (n=${n})`, floorOf(mN));
      assertClose(v, vN, F32, `v (n=${n})`, floorOf(vN));
      for (const bad of [NaN, Infinity]) {
        grads[n - 1] = bad;
        assert.not.ok(simd.adamUpdate(p, m, v, grads, KERAS_ADAM, 6, n), `n=${n}, ${bad} in the tail`);
        grads[n - 1] = 0;
        grads[0] = bad;
        assert.not.ok(simd.adamUpdate(p, m, v, grads, KERAS_ADAM, 6, n), `n=${n}, ${bad} at 0`);
        grads[0] = 0;
      }
    }
  });

  for (const [B, IN, OUT] of [[32, 784, 64], [5, 37, 16], [3, 9, 7]] as const) {
    test(`simd sparse forward and fused W1 step match the naive chain (${which}, ${B}x${IN}x${OUT})`, () => {
      const { simd, arena, random } = setup(shared);
      const inp = random(B * IN, 0, 1, 0.81);
      for (let b = 0; b < B; b++) inp[b * IN + 1] = 0; // a column dark in the whole batch
      const nz = makeNonZeros(B, IN, arena);
      gatherRows(nz, inp, 0, B);
      gatherCols(nz, B);
      const W = random(IN * OUT), out = arena.f32(B * OUT).fill(7), naive = new Float32Array(B * OUT);
      simd.matmulForwardSparse(out, nz, W, B, IN, OUT);
      matmulForward(naive, inp, W, B, IN, OUT);
      assertClose(out, naive, F32, 'out', floorOf(naive));
      // Two steps of the fused kernel against dW = inpᵀ·dout, then Adam, in float64 registers.
      const dout = random(B * OUT), m = arena.f32(IN * OUT), v = arena.f32(IN * OUT), gradRow = arena.f32(OUT);
      const litBytes = arena.f32(Math.ceil(IN / 4)); // lit must be in the memory too: bytes over an f32 piece
      const litIn = new Uint8Array(litBytes.buffer, litBytes.byteOffset, IN);
      const WN = W.slice(), mN = new Float32Array(IN * OUT), vN = new Float32Array(IN * OUT), dW = new Float32Array(IN * OUT);
      for (let t = 1; t <= 2; t++) {
        assert.ok(simd.sparseBackwardAdam(W, m, v, gradRow, dout, nz, litIn, KERAS_ADAM, t, B, IN, OUT));
        dW.fill(0);
        matmulBackward(null, dW, dout, inp, WN, B, IN, OUT);
        adamUpdate(WN, mN, vN, dW, KERAS_ADAM, t, IN * OUT);
      }
      assert.is(litIn[1], 0);
      for (let o = 0; o < OUT; o++) assert.is(W[1 * OUT + o], WN[1 * OUT + o], 'a row never lit is not moved');
      assertClose(W, WN, F32, 'W');
      assertClose(m, mN, F32, 'm', floorOf(mN));
      assertClose(v, vN, F32, 'v', floorOf(vN));
    });
  }
}

test('simd kernels refuse arrays outside their memory', () => {
  const { simd } = setup(true);
  const a = new Float32Array(8);
  assert.throws(() => simd.adamUpdate(a, a, a, a, KERAS_ADAM, 1, 8), /outside the kernels' WebAssembly.Memory/);
});

// The threaded engine with --kernels simd on real batches.
const mnist = loadMnist(packageDataDir());
async function run(threads: number, kernels: 'fast' | 'simd', steps: number): Promise<{ losses: number[]; params: Float32Array; mode: string }> {
  const engine = await ThreadedEngine.create({ batchSize: 32, learningRate: 0.001, seed: 5, threads, kernels }, nodeThreads);
  const order = identityOrder(mnist.train.count);
  shuffle(order, makeRng(3));
  const losses: number[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      losses.push(engine.trainBatch(mnist.train, order, s * 32, 32));
      assert.ok(engine.gradsFinite);
    }
    return { losses, params: engine.readParams(), mode: engine.info.mode };
  } finally {
    await engine.close();
  }
}
const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

test('--kernels simd: a run repeats bit for bit on two threads, and stays within 1e-3 of one thread and of the fast kernels', async () => {
  const [a, b] = [await run(2, 'simd', 60), await run(2, 'simd', 60)];
  assert.is(a.mode, 'float32 js, simd kernels');
  assert.equal(a.losses, b.losses);
  assert.ok(sameBits(a.params, b.params), 'two runs on two threads differ');
  const one = await run(1, 'simd', 60), fast = await run(2, 'fast', 60);
  assertClose(one.params, a.params, 1e-3, 'one thread against two', 1e-4);
  assertClose(fast.params, a.params, 1e-3, 'fast against simd', 1e-4);
  assert.ok(Math.abs(a.losses[59] - fast.losses[59]) < 1e-3 * fast.losses[59], `loss ${a.losses[59]} against ${fast.losses[59]}`);
});

test.run();
