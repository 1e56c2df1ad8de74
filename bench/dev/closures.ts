// `npm run bench:closures`: why training calls its kernels through closures (src/train/engines/threaded/slice.ts). The
// two layer-1 kernels, on the training shapes (batch 32, one thread's block of 64 units) with real
// MNIST batches, called two ways, each in a process of its own (V8's compiled code depends on
// everything a process has run before):
//   fields:  as a class's method calls them, its arrays read from the object's fields, so V8
//            compiles the kernel with arrays it knows nothing about;
//   closure: through a closure over const arrays, which V8 inlines where it is called and compiles
//            with the arrays as constants (no type checks, no reloads of their lengths and data).
// Both with the inlining budget training runs with (V8_FLAGS below, as package.json's bench passes them). Prints microseconds per call (median of rounds)
// for each pair of processes, and the median ratio.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadMnist, packageDataDir } from '../../src/node/mnist_files.ts';
import { fillBatch, PIXELS } from '../../src/train/data/batch.ts';
import { identityOrder } from '../../src/train/loop.ts';
import { matmulForwardSparse } from '../../src/tensor/matmul.ts';
import { sparseBackwardAdam } from '../../src/tensor/fused.ts';
import { makeNonZeros, gatherRows, gatherCols, type NonZeros } from '../../src/tensor/nonzeros.ts';
import { glorotUniform } from '../../src/tensor/init.ts';
import { makeRng, nextFloat } from '../../src/tensor/rng.ts';
import { KERAS_ADAM } from '../../src/nn/optimizer.ts';
import { median } from './median.ts';

const V8_FLAGS = ['--max-inlined-bytecode-size=1500', '--max-inlined-bytecode-size-cumulative=30000', '--max-inlined-bytecode-size-absolute=30000'];
const B = 32, IN = PIXELS, H = 64, BATCHES = 64, ROUNDS = 9, PER_BATCH = 6, CALLS = BATCHES * PER_BATCH;
const [, , kernel, way] = process.argv;

if (kernel === undefined) {
  // The parent: for each kernel, PAIRS pairs of children (fields, then closure), back to back so
  // that both ways of a pair meet the same machine; the median of the pairs' ratios is the result.
  const PAIRS = 3;
  console.log(`layer-1 kernels, batch ${B}, ${H} units (one of two threads' blocks); us per call, each the median of ${ROUNDS} rounds of ${CALLS} calls; ${PAIRS} pairs of processes`);
  for (const k of ['forward', 'fused']) {
    const pairs: [number, number][] = [];
    for (let p = 0; p < PAIRS; p++) {
      const [fields, closure] = ['fields', 'closure'].map((w) => {
        const r = spawnSync(process.execPath, [...V8_FLAGS, '--import', 'tsx', fileURLToPath(import.meta.url), k, w], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`${k} ${w}: ${r.stderr.trim().split('\n').pop()}`);
        return Number(r.stdout.trim());
      });
      pairs.push([fields, closure]);
    }
    const name = k === 'forward' ? 'layer 1 forward  X·W1 (sparse)' : 'layer 1 backward + Adam on W1, fused';
    const shown = pairs.map(([f, c]) => `${f.toFixed(0)}/${c.toFixed(0)}`).join(', ');
    console.log(`${name.padEnd(38)} fields/closure ${shown}: ${median(pairs.map(([f, c]) => f / c)).toFixed(2)}x`);
  }
} else {
  const data = loadMnist(packageDataDir());
  const order = identityOrder(data.train.count);
  const batches: NonZeros[] = [];
  const x = new Float32Array(B * IN);
  for (let k = 0; k < BATCHES; k++) {
    fillBatch(x, new Uint8Array(B), data.train.images, data.train.labels, order, k * 937, B);
    const nz = makeNonZeros(B, IN);
    gatherRows(nz, x, 0, B);
    gatherCols(nz, B);
    batches.push(nz);
  }
  const rng = makeRng(7);
  const W1 = new Float32Array(new SharedArrayBuffer(4 * IN * H)); // shared, as in training
  glorotUniform(W1, IN, H, rng);
  const m = new Float32Array(new SharedArrayBuffer(4 * IN * H)), v = new Float32Array(new SharedArrayBuffer(4 * IN * H));
  const preact = new Float32Array(B * H), gradRow = new Float32Array(H), lit = new Uint8Array(IN);
  const dpreact = Float32Array.from({ length: B * H }, () => (2 * nextFloat(rng) - 1) * 0.01);
  const nz = makeNonZeros(B, IN); // the batch under way: each round copies one of the real batches in
  const use = (k: number) => {
    const from = batches[k];
    nz.rowCount.set(from.rowCount); nz.rowIndex.set(from.rowIndex); nz.rowValue.set(from.rowValue);
    nz.colCount.set(from.colCount); nz.colIndex.set(from.colIndex); nz.colValue.set(from.colValue);
  };
  let step = 0;
  class Fields { // the way a class's methods would call the kernels
    readonly nz: NonZeros; readonly W1: Float32Array; readonly m: Float32Array; readonly v: Float32Array;
    readonly preact: Float32Array; readonly dpreact: Float32Array; readonly gradRow: Float32Array; readonly lit: Uint8Array;
    constructor(nz: NonZeros, W1: Float32Array, m: Float32Array, v: Float32Array, preact: Float32Array, dpreact: Float32Array, gradRow: Float32Array, lit: Uint8Array) {
      this.nz = nz; this.W1 = W1; this.m = m; this.v = v; this.preact = preact; this.dpreact = dpreact; this.gradRow = gradRow; this.lit = lit;
    }
    forward(): void { matmulForwardSparse(this.preact, this.nz, this.W1, B, IN, H); }
    fused(): void { sparseBackwardAdam(this.W1, this.m, this.v, this.gradRow, this.dpreact, this.nz, this.lit, KERAS_ADAM, ++step, B, IN, H); }
  }
  const fields = new Fields(nz, W1, m, v, preact, dpreact, gradRow, lit);
  const forward = () => matmulForwardSparse(preact, nz, W1, B, IN, H); // the way it calls them now
  const fused = () => sparseBackwardAdam(W1, m, v, gradRow, dpreact, nz, lit, KERAS_ADAM, ++step, B, IN, H);
  const call = kernel === 'forward'
    ? (way === 'fields' ? () => fields.forward() : () => forward())
    : (way === 'fields' ? () => fields.fused() : () => fused());
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS + 2; r++) { // the first two rounds warm up
    let ms = 0;
    for (let k = 0; k < BATCHES; k++) {
      use(k);
      const t0 = performance.now();
      for (let i = 0; i < PER_BATCH; i++) call();
      ms += performance.now() - t0;
    }
    if (r >= 2) rounds.push((ms * 1000) / CALLS);
  }
  console.log(median(rounds));
}
