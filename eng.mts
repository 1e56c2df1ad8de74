import { ThreadedEngine } from '/work/wt-fast/src/train/threads.ts';
import { loadMnist, packageDataDir } from '/work/wt-fast/src/train/data.ts';
import { fillBatch } from '/work/wt-fast/src/train/batch.ts';
import { identityOrder } from '/work/wt-fast/src/train/loop.ts';
const data = loadMnist(packageDataDir());
const order = identityOrder(60000);
const x = new Float32Array(32 * 784), y = new Uint8Array(32);
const configs = process.argv.slice(2); // e.g. 1:0 2:0 2:50
const engines = [];
for (const c of configs) { const [t, spin] = c.split(':').map(Number); process.env.SPIN_US = String(spin); engines.push({ c, e: await ThreadedEngine.create({ batchSize: 32, learningRate: 0.001, seed: 1, threads: t, kernels: 'fast' }) }); }
const results = new Map(configs.map((c) => [c, [] as number[]]));
for (let round = 0; round < 6; round++) {
  for (const { c, e } of engines) {
    const t0 = performance.now();
    for (let s = 0; s < 300; s++) { fillBatch(x, y, data.train.images, data.train.labels, order, ((round * 300 + s) * 32) % 59968, 32); e.trainStep(x, y, 32); }
    if (round > 0) results.get(c)!.push((performance.now() - t0) / 300);
  }
}
for (const [c, xs] of results) console.log(c.padEnd(8), xs.map((v) => v.toFixed(2)).join(' '), ' median', xs.sort((a, b) => a - b)[2].toFixed(2), 'ms/step');
for (const { e } of engines) await e.close();
