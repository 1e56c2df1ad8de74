// `npm run bench:ab -- DIR_A DIR_B [steps] [threads]`: two builds of the threaded engine side by side
// in one process, for changes too small to see between separate runs on a noisy machine. Each
// directory is a checkout of this project (`git worktree add /tmp/before COMMIT`, then a symlink to
// this checkout's node_modules in it). Both engines train on the same shuffled data, alternating
// chunks of 75 steps (A then B, then B then A, ...), so both meet the same spells of a busy machine;
// each pair of chunks run back to back gives a ratio, and their median is the result. KERNELS_A and
// KERNELS_B (default fast) compare kernel sets: `npm run bench:ab -- . . 4500 2 fast simd`.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadMnist, packageDataDir } from '../../src/node/mnist_files.ts';
import { identityOrder } from '../../src/train/loop.ts';
import { makeRng, shuffle } from '../../src/tensor/rng.ts';
import { median } from './median.ts';

const [dirA, dirB, stepsArg = '4500', threadsArg = '2', kernelsA = 'fast', kernelsB = 'fast'] = process.argv.slice(2);
const steps = Number(stepsArg), threads = Number(threadsArg);
if (dirA === undefined || dirB === undefined || !(steps > 0) || !(threads > 0)) {
  process.stderr.write('bench:ab: usage: npm run bench:ab -- DIR_A DIR_B [steps, 4500] [threads, 2] [KERNELS_A, fast] [KERNELS_B, fast]\n');
  process.exit(2);
}

const CHUNK = 75, B = 32;
const data = loadMnist(packageDataDir());
const order = identityOrder(data.train.count);
shuffle(order, makeRng(3));
interface Trainer { trainBatch(split: typeof data.train, order: Uint32Array, start: number, B: number): number; close(): Promise<void> }
const engines: Trainer[] = [];
for (const [dir, kernels] of [[dirA, kernelsA], [dirB, kernelsB]]) {
  const options = { threads, kernels, batchSize: B, learningRate: 1e-3, seed: 1 };
  if (existsSync(resolve(dir, 'src/train/engines/threaded/engine.ts'))) {
    const { ThreadedEngine } = await import(pathToFileURL(resolve(dir, 'src/train/engines/threaded/engine.ts')).href);
    const { nodeThreads } = await import(pathToFileURL(resolve(dir, 'src/node/threads.ts')).href);
    engines.push(await ThreadedEngine.create(options, nodeThreads));
  } else { // a checkout from before src/train/engines/ (its engine starts its own threads)
    const { ThreadedEngine } = await import(pathToFileURL(resolve(dir, 'src/train/threads.ts')).href);
    engines.push(await ThreadedEngine.create(options));
  }
}
const chunkMs: number[][] = [[], []];
const at = [0, 0];
for (let done = 0; done < steps; done += CHUNK) {
  for (const e of (done / CHUNK) % 2 === 0 ? [0, 1] : [1, 0]) {
    const t0 = performance.now();
    for (let s = 0; s < CHUNK; s++) {
      if (at[e] + B > data.train.count) at[e] = 0;
      engines[e].trainBatch(data.train, order, at[e], B);
      at[e] += B;
    }
    chunkMs[e].push(performance.now() - t0);
  }
}
for (const e of [0, 1]) {
  const label = kernelsA === kernelsB ? '' : ` (${[kernelsA, kernelsB][e]})`;
  console.log(`${[dirA, dirB][e]}${label}: median ${(median(chunkMs[e]) * 1000 / CHUNK).toFixed(0)} us a step over ${chunkMs[e].length} chunks of ${CHUNK}`);
}
const ratios = chunkMs[0].map((a, i) => chunkMs[1][i] / a);
console.log(`B/A, chunk by chunk: median ${median(ratios).toFixed(3)} (below 1: B faster), ${threads} thread${threads === 1 ? '' : 's'}`);
for (const engine of engines) await engine.close();
