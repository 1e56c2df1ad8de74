// The web page in real Chromium: the CPU path equal to the CLI bit for bit, gpu.js in WebGL2, Stop,
// draw-a-digit, and the page's own errors (a missing or corrupt data file, a bad URL parameter, no
// cross-origin isolation). Short runs on small real data sets: the suite takes about a minute.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, extname } from 'node:path';
import type { Browser } from 'playwright-core';
import { launch, serve, waitForState, logText, alertText, type Server } from './browser.ts';
import { mnistDir, idxLabels } from '../idx.ts';
import { tempDir } from '../helpers.ts';
import { FILES } from '../../src/train/data/idx.ts';
import type { RunRecord } from '../../src/train/results/record.ts';

let browser: Browser;
const servers: Server[] = [];
const small = mnistDir(2000, 500); // the first real MNIST images: runs that really learn, in seconds
let server: Server;

test.before(async () => {
  browser = await launch();
  server = await serve(['--data', small]);
  servers.push(server);
});
test.after(async () => {
  for (const s of servers) s.stop();
  await browser?.close();
});

// The run record the page kept, after waiting for the run to end.
async function runPage(url: string, end: ('done' | 'stopped' | 'error')[] = ['done']): Promise<{ record: RunRecord; log: string; page: import('playwright-core').Page }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(url);
  const state = await waitForState(page, ['done', 'stopped', 'error']);
  if (!(end as string[]).includes(state)) assert.unreachable(`state ${state}: ${await alertText(page)}`);
  const record = (await page.evaluate(() => window.runRecord)) as unknown as RunRecord;
  return { record, log: await logText(page), page };
}

function cli(args: string[]): RunRecord {
  const json = join(tempDir('mnist-ts-web-'), 'cli.json');
  const r = spawnSync(process.execPath, ['dist/bench.mjs', '--data', small, '--json', json, ...args], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(readFileSync(json, 'utf8'));
}

const numbers = (r: RunRecord) => ({ epochs: r.epochs.map((e) => [e.loss, e.accuracy]), test: r.test && [r.test.loss, r.test.accuracy] });

test('CPU on 2 workers: the same losses and accuracies as the CLI, bit for bit; the record names the browser', async () => {
  const { record, log, page } = await runPage(`${server.url}?threads=2&epochs=2&seed=3&autostart=1`);
  const ours = cli(['--threads', '2', '--epochs', '2', '--seed', '3']);
  assert.equal(numbers(record), numbers(ours));
  assert.equal(record.backend, { name: 'cpu', mode: 'float32 js, fast kernels', threads: 2 });
  assert.match(record.machine.browser ?? '', /^Chrome/);
  assert.is(record.machine.node, 'none (browser)');
  assert.match(log, /^backend: cpu \(float32 js, fast kernels, 2 threads\) on .*Chrome/);
  assert.match(log, /\nEpoch 2\/2\n63\/63 \[==============================\] - \d+m?s \d+[mu]?s\/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}\n/);
  assert.match(log, /\nSummary:\n/);
  await page.close();
  // Another network (--hidden, --dropout) through the same workers: still the CLI's numbers.
  const other = await runPage(`${server.url}?threads=2&epochs=1&hidden=20&dropout=0&autostart=1`);
  assert.equal(numbers(other.record), numbers(cli(['--threads', '2', '--epochs', '1', '--hidden', '20', '--dropout', '0'])));
  assert.equal(other.record.network, { hidden: 20, dropout: 0 });
  assert.is(await other.page.locator('#tiles canvas').count(), 20, 'a tile per hidden unit');
  await other.page.close();
});

test('the SIMD kernels (WebAssembly) in the page: the same numbers as the CLI\'s --kernels simd', async () => {
  const { record, page } = await runPage(`${server.url}?threads=2&kernels=simd&epochs=2&autostart=1`);
  assert.is(record.backend.mode, 'float32 js, simd kernels');
  assert.equal(numbers(record), numbers(cli(['--threads', '2', '--kernels', 'simd', '--epochs', '2'])));
  await page.close();
});

test('gpu.js in WebGL2 (SwiftShader here): trains, agrees with the CPU to the printed digits', async () => {
  const { record, log, page } = await runPage(`${server.url}?backend=webgl2&limit=256&epochs=1&autostart=1`);
  assert.is(record.backend.name, 'gpujs');
  assert.is(record.backend.mode, 'webgl2');
  assert.match(log, /\ndevice: /);
  const cpu = cli(['--threads', '1', '--limit', '256', '--epochs', '1']);
  assert.is(record.epochs[0].loss.toFixed(4), cpu.epochs[0].loss.toFixed(4));
  assert.is(record.epochs[0].accuracy.toFixed(4), cpu.epochs[0].accuracy.toFixed(4));
  assert.is(record.test!.accuracy.toFixed(4), cpu.test!.accuracy.toFixed(4));
  await page.close();
});

test('Stop: the run ends at the next step with the partial epoch and the summary, state stopped', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}?epochs=1000&autostart=1`);
  await waitForState(page, ['training']);
  await page.waitForFunction(() => /Epoch 3\//.test(document.getElementById('log')!.textContent ?? ''));
  await page.click('#stop');
  assert.is(await waitForState(page, ['stopped', 'done', 'error']), 'stopped');
  const record = (await page.evaluate(() => window.runRecord)) as unknown as RunRecord;
  assert.ok(record.interrupted);
  assert.ok(record.epochs.length >= 2);
  const log = await logText(page);
  assert.match(log, /\nSummary: interrupted after \d+ of 1000 epochs/);
  assert.is(await page.isEnabled('#start'), true);
  await page.close();
});

test('draw a digit: a real test image drawn on the pad is read as its label; the screenshot', async () => {
  const { record, page } = await runPage(`${server.url}?threads=2&epochs=3&autostart=1`);
  assert.ok(record.test!.accuracy > 0.85, `test accuracy ${record.test!.accuracy}`);
  const image = readFileSync(join(small, FILES.testImages)).subarray(16, 16 + 784); // test image 0: a 7
  await page.evaluate((pixels) => (window as unknown as { mnistPad: { show(p: number[]): void } }).mnistPad.show(pixels.map((v) => v / 255)), [...image]);
  await page.waitForFunction(() => document.getElementById('bars')!.dataset.prediction !== '');
  assert.is(await page.evaluate(() => document.getElementById('bars')!.dataset.prediction), '7');
  assert.ok(await page.locator('#confusion td').count() >= 100, 'the confusion matrix');
  assert.is(await page.locator('#tiles canvas').count(), 128, 'a tile per hidden unit');
  // The record the page offers for download is one npm run compare reads, marked as the user's.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-record')]);
  const mine = tempDir('mnist-ts-web-');
  await download.saveAs(join(mine, 'page.json'));
  const compared = spawnSync(process.execPath, ['dist/compare.mjs', '--results', mine, '--out', join(mine, 'chart.svg')], { encoding: 'utf8' });
  assert.is(compared.status, 0, compared.stderr);
  assert.is(compared.stderr, '');
  assert.match(compared.stdout, /CPU \(\d+ cores\) \(yours\) +cpu \(float32 js, fast kernels, 2 threads\)/);
  const shot = process.env.SCREENSHOT ?? join(tempDir('mnist-ts-web-'), 'page.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(readFileSync(shot).length > 10_000);
  await page.close();
});

test('a missing or corrupt data file on the server: a message naming it, state error', async () => {
  const broken = mnistDir(64, 32);
  rmSync(join(broken, FILES.testLabels));
  const missing = await serve(['--data', broken]);
  servers.push(missing);
  const gone = await runPage(`${missing.url}?autostart=1`, ['error']);
  assert.is(await alertText(gone.page), 'missing data file (HTTP 404): data/t10k-labels-idx1-ubyte.gz');
  await gone.page.close();
  writeFileSync(join(broken, FILES.testLabels), idxLabels(32).subarray(0, 20)); // truncated
  const corrupt = await serve(['--data', broken]);
  servers.push(corrupt);
  const cut = await runPage(`${corrupt.url}?autostart=1`, ['error']);
  assert.match(await alertText(cut.page), /^truncated: 20 bytes, 32 labels need 40: data\/t10k-labels-idx1-ubyte\.gz$/);
  await cut.page.close();
});

test('a bad URL parameter: a message, state error, nothing starts', async () => {
  for (const [query, message] of [
    ['?epochs=abc', 'URL parameter epochs expects an integer 1..1000, got "abc"'],
    ['?backend=cuda', 'URL parameter backend must be one of cpu, webgl2, webgl, gpujs-cpu, got "cuda"'],
    ['?epoch=3', /^unknown URL parameter "epoch"/],
  ] as const) {
    const page = await browser.newPage();
    await page.goto(`${server.url}${query}&autostart=1`);
    assert.is(await waitForState(page, ['error', 'loading', 'training']), 'error');
    if (typeof message === 'string') assert.is(await alertText(page), message);
    else assert.match(await alertText(page), message);
    await page.close();
  }
});

test('no cross-origin isolation (--build, served without COOP/COEP): one thread, and the page says why', async () => {
  const dir = tempDir('mnist-ts-static-');
  const r = spawnSync(process.execPath, ['dist/web.mjs', '--data', small, '--build', dir], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const plain = createServer((req, res) => { // a static server that sends no isolation headers
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const path = join(dir, name === '/' ? 'index.html' : name);
    try {
      const body = readFileSync(path);
      res.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch { res.writeHead(404); res.end(); }
  });
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  try {
    const port = (plain.address() as { port: number }).port;
    const { record, page } = await runPage(`http://127.0.0.1:${port}/?threads=2&epochs=1&limit=320&autostart=1`);
    assert.is(record.backend.threads, 1);
    assert.match(await page.textContent('#warnings') ?? '', /one thread: this page is not cross-origin isolated/);
    assert.match(await page.textContent('#device') ?? '', /not cross-origin isolated/);
    await page.close();
  } finally {
    plain.close();
  }
});

test.run();
