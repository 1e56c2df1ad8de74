// `npm run bench:kernels`: each kernel, naive and fast, on the training shapes (batch 32, 784 -> 128
// -> 10) with real MNIST batches, so the sparse twins see real sparsity. Prints ms per call, GFLOP/s
// and the speed-up. FLOPs are counted as the naive kernel does the work (2·B·IN·OUT for a product,
// zeros included), so a sparse kernel's GFLOP/s is "dense-equivalent".

import { loadMnist, packageDataDir } from '../../src/node/mnist_files.ts';
import { fillBatch, PIXELS } from '../../src/train/data/batch.ts';
import { identityOrder } from '../../src/train/loop.ts';
import { matmulForward, matmulBackward, matmulForwardFast, matmulBackwardFast, matmulForwardSparse, matmulBackwardSparse } from '../../src/tensor/matmul.ts';
import { biasForward, biasBackward } from '../../src/tensor/bias.ts';
import { reluForward, reluBackward } from '../../src/tensor/relu.ts';
import { dropoutForward, dropoutBackward } from '../../src/tensor/dropout.ts';
import { biasReluDropoutForward, reluDropoutBackward, sparseBackwardAdam } from '../../src/tensor/fused.ts';
import { adamUpdate, adamUpdateFast } from '../../src/tensor/adam.ts';
import { makeNonZeros, gatherRows, gatherCols } from '../../src/tensor/nonzeros.ts';
import { glorotUniform } from '../../src/tensor/init.ts';
import { makeRng, nextFloat } from '../../src/tensor/rng.ts';
import { KERAS_ADAM } from '../../src/nn/optimizer.ts';
import { median } from './median.ts';

const B = 32, IN = PIXELS, H = 128, C = 10, P = IN * H + H + H * C + C;
const BATCHES = 64; // distinct real batches cycled through
const seconds = Number(process.argv[2] ?? 0.4); // CPU seconds per kernel per round

const data = loadMnist(packageDataDir());
const order = identityOrder(data.train.count);
const xs: Float32Array[] = [];
for (let k = 0; k < BATCHES; k++) {
  const x = new Float32Array(B * IN);
  fillBatch(x, new Uint8Array(B), data.train.images, data.train.labels, order, k * 937, B);
  xs.push(x);
}
const rng = makeRng(7);
const rand = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (2 * nextFloat(rng) - 1) * scale);
const W1 = new Float32Array(IN * H); glorotUniform(W1, IN, H, rng);
const W2 = new Float32Array(H * C); glorotUniform(W2, H, C, rng);
const b1 = rand(H, 0.05), dW1 = new Float32Array(IN * H), dW2 = new Float32Array(H * C);
const preact = new Float32Array(B * H), out1 = new Float32Array(B * H), dpre = rand(B * H, 0.01), dhid = new Float32Array(B * H);
// The hidden layer's values come fresh each call, as in training (VARIANTS sets cycled through): with
// the same values every call the CPU would learn where the zeros and the signs are, and a branch on
// them would look free.
const VARIANTS = 64;
const hiddens = Array.from({ length: VARIANTS }, () => rand(B * H).map((v) => (v > 0 && nextFloat(rng) > 0.2 ? v : 0))); // ReLU then dropout: ~60% zeros
const masks = Array.from({ length: VARIANTS }, () => Float32Array.from({ length: B * H }, () => (nextFloat(rng) < 0.2 ? 0 : 1.25)));
const preacts = Array.from({ length: VARIANTS }, () => rand(B * H)); // pre-activations, signs at random
let variant = 0;
const fresh = () => (variant = (variant + 1) % VARIANTS);
const hiddenNext = () => hiddens[fresh()];
const preactNext = () => { const k = fresh(); preact.set(preacts[k]); return k; }; // biasForward changes preact in place
const logits = new Float32Array(B * C), dlogits = rand(B * C, 0.03);
const params = rand(P, 0.05), grads = rand(P, 1e-3), m = new Float32Array(P), v = new Float32Array(P);
const nz = makeNonZeros(B, IN);
const lit = new Uint8Array(IN), gradRow = new Float32Array(H); // the fused kernel's pixels lit so far and scratch row
let k = 0;
const nextX = () => xs[(k = (k + 1) % BATCHES)];
const gathered = () => { const x = nextX(); gatherRows(nz, x, 0, B); gatherCols(nz, B); return x; };
let step = 0;

interface Row { name: string; flops: number; naive: () => void; fast: () => void; note?: string; fused?: boolean }
const rows: Row[] = [
  { name: 'layer 1 forward  X·W1 (32x784x128)', flops: 2 * B * IN * H,
    naive: () => matmulForward(preact, nextX(), W1, B, IN, H),
    fast: () => { const x = nextX(); gatherRows(nz, x, 0, B); matmulForwardSparse(preact, nz, W1, B, IN, H); }, note: 'fast includes gathering the non-zeros' },
  { name: 'layer 1 backward dW1 += Xᵀ·dZ1', flops: 2 * B * IN * H,
    naive: () => matmulBackward(null, dW1, dpre, nextX(), W1, B, IN, H),
    fast: () => { gathered(); matmulBackwardSparse(dW1, dpre, nz, B, IN, H); }, note: 'fast includes gathering rows and columns' },
  { name: 'layer 2 forward  H·W2 (32x128x10)', flops: 2 * B * H * C,
    naive: () => matmulForward(logits, hiddenNext(), W2, B, H, C), fast: () => matmulForwardFast(logits, hiddenNext(), W2, B, H, C) },
  { name: 'layer 2 backward dW2 and dH', flops: 4 * B * H * C,
    naive: () => { matmulBackward(dhid, dW2, dlogits, hiddenNext(), W2, B, H, C); },
    fast: () => { matmulBackwardFast(dhid, dW2, dlogits, hiddenNext(), W2, B, H, C); } },
  { name: 'bias+ReLU+dropout forward (32x128)', flops: 3 * B * H,
    naive: () => { preactNext(); biasForward(preact, b1, B, H); reluForward(out1, preact, B * H); dropoutForward(out1, masks[0], out1, 0.2, B * H, rng); },
    fast: () => { const k = preactNext(); biasReluDropoutForward(out1, preact, b1, masks[k], B, H); }, note: 'naive draws its mask, fast is given one' },
  { name: 'ReLU+dropout backward (32x128)', flops: 2 * B * H,
    naive: () => { const k = fresh(); dhid.fill(0); dropoutBackward(dhid, dpre, masks[k], B * H); reluBackward(out1, dhid, preacts[k], B * H); },
    fast: () => { const k = fresh(); reluDropoutBackward(out1, dpre, preacts[k], masks[k], B * H); } },
  { name: 'bias backward db1 (32x128)', flops: B * H, naive: () => biasBackward(b1, dpre, B, H), fast: () => biasBackward(b1, dpre, B, H), note: 'no fast twin: naive is fine' },
  { name: `Adam (${P} parameters)`, flops: 12 * P,
    naive: () => adamUpdate(params, m, v, grads, KERAS_ADAM, ++step, P), fast: () => adamUpdateFast(params, m, v, grads, KERAS_ADAM, ++step, P) },
  { name: 'layer 1 backward + Adam on W1, fused', flops: 2 * B * IN * H + 12 * IN * H, fused: true,
    naive: () => { dW1.fill(0); matmulBackward(null, dW1, dpre, nextX(), W1, B, IN, H); adamUpdate(W1, m, v, dW1, KERAS_ADAM, ++step, IN * H); },
    fast: () => { gathered(); sparseBackwardAdam(W1, m, v, gradRow, dpre, nz, lit, KERAS_ADAM, ++step, B, IN, H); },
    note: 'training runs this in place of the two rows dW1 and Adam on W1; not in the sum' },
];

// CPU ms per call (this process's CPU time, which other processes on a busy machine disturb far
// less than wall time), in rounds with naive and fast interleaved; the median round counts.
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
function time(fn: () => void, budgetMs: number): number {
  for (let i = 0; i < 20; i++) fn();
  let calls = 0;
  const start = cpuMs();
  let now = start;
  while (now - start < budgetMs) { for (let i = 0; i < 8; i++) fn(); calls += 8; now = cpuMs(); }
  return (now - start) / calls;
}

const ROUNDS = 5;
console.log(`kernels on the training shapes, batch ${B}, real MNIST batches; CPU time, median of ${ROUNDS} rounds of ${seconds}s each`);
console.log(`${'kernel'.padEnd(38)} ${'naive ms'.padStart(9)} ${'GFLOP/s'.padStart(8)} ${'fast ms'.padStart(9)} ${'GFLOP/s'.padStart(8)} ${'speed-up'.padStart(8)}`);
let naiveStep = 0, fastStep = 0;
const fastMs: number[] = [];
for (const row of rows) {
  const naive: number[] = [], fast: number[] = [];
  for (let r = 0; r < ROUNDS; r++) { naive.push(time(row.naive, seconds * 500)); fast.push(time(row.fast, seconds * 500)); }
  const n = median(naive), f = median(fast);
  fastMs.push(f);
  if (!row.fused) { naiveStep += n; fastStep += f; }
  const gf = (ms: number) => (row.flops / ms / 1e6).toFixed(2);
  console.log(`${row.name.padEnd(38)} ${n.toFixed(4).padStart(9)} ${gf(n).padStart(8)} ${f.toFixed(4).padStart(9)} ${gf(f).padStart(8)} ${(n / f).toFixed(1).padStart(7)}x${row.note ? `  (${row.note})` : ''}`);
}
console.log(`${'sum, about one training step'.padEnd(38)} ${naiveStep.toFixed(4).padStart(9)} ${''.padStart(8)} ${fastStep.toFixed(4).padStart(9)} ${''.padStart(8)} ${(naiveStep / fastStep).toFixed(1).padStart(7)}x`);
// As training runs the fast set: the fused kernel in place of dW1 and of Adam's share for W1.
const [backward1, adam, fused] = [1, rows.length - 2, rows.length - 1].map((r) => fastMs[r]);
const fastTrained = fastStep - backward1 - adam * (IN * H) / P + fused;
console.log(`${'fast, with the fused kernel (training)'.padEnd(38)} ${''.padStart(9)} ${''.padStart(8)} ${fastTrained.toFixed(4).padStart(9)} ${''.padStart(8)} ${(naiveStep / fastTrained).toFixed(1).padStart(7)}x`);
console.log(`x 1875 steps: naive ${(naiveStep * 1.875).toFixed(2)} s, fast ${(fastTrained * 1.875).toFixed(2)} s per epoch on one thread (kernels only)`);
