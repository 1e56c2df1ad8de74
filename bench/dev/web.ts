// `npm run bench:web`: the web page's CPU path against the CLI on this machine, side by side: the
// same run (full data, batch 32, 2 threads by default) in Chromium (Debian's, driven by
// playwright-core) and as `npm run bench` runs it, alternating, each pair of runs one ratio.
// Usage: npm run bench:web -- [epochs, 3] [threads, 2] [pairs, 2]

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { launch, serve, waitForState } from '../../test/browser/browser.ts';
import type { RunRecord } from '../../src/train/results/record.ts';
import { median } from './median.ts';

const [epochs = 3, threads = 2, pairs = 2] = process.argv.slice(2).map(Number);
const steady = (r: RunRecord) => median(r.epochs.slice(1).map((e) => e.seconds));
const V8_FLAGS = (JSON.parse(readFileSync('package.json', 'utf8')).scripts.bench as string).split(' ').filter((a) => a.startsWith('--'));

const server = await serve();
const browser = await launch();
const ratios: number[] = [];
try {
  for (let p = 0; p < pairs; p++) {
    const page = await browser.newPage();
    await page.goto(`${server.url}?epochs=${epochs}&threads=${threads}&autostart=1`);
    if ((await waitForState(page, ['done', 'error'], 600_000)) !== 'done') throw new Error('the page run failed');
    const web = (await page.evaluate(() => window.runRecord)) as unknown as RunRecord;
    await page.close();
    const json = join(tmpdir(), `mnist-ts-bench-web-${process.pid}.json`);
    const r = spawnSync(process.execPath, [...V8_FLAGS, 'dist/bench.mjs', '--epochs', String(epochs), '--threads', String(threads), '--json', json], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`the CLI run failed: ${r.stderr}`);
    const node = JSON.parse(readFileSync(json, 'utf8')) as RunRecord;
    ratios.push(steady(web) / steady(node));
    console.log(`pair ${p + 1}: steady epoch (2+) page ${steady(web).toFixed(2)} s (${web.machine.browser}), CLI ${steady(node).toFixed(2)} s (Node ${node.machine.node}); page/CLI ${ratios.at(-1)!.toFixed(2)}`);
  }
  console.log(`page/CLI, median of ${pairs} pairs: ${median(ratios).toFixed(2)} (${threads} threads, ${epochs} epochs, batch 32, all 60000 images)`);
} finally {
  await browser.close();
  server.stop();
}
