// The web page's pure parts, in Node: URL settings, the record's browser fields, MNIST-style
// centring of a drawn digit. (The page itself runs in real Chromium: npm run test:browser.)

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSettings, settingsQuery, defaultSettings, SettingsError } from '../src/web/settings.ts';
import { browserOf, platformOf, machineOf } from '../src/web/device.ts';
import { mnistDigit, SIDE } from '../src/train/data/digit.ts';
import { loadMnist, packageDataDir } from '../src/node/mnist_files.ts';
import { pageEngine } from '../src/web/workers/engines.ts';
import { nodeThreads } from '../src/node/threads.ts';
import { UserError } from '../src/train/errors.ts';
import type { GpuJs } from '../src/train/engines/gpujs/engine.ts';

test('settings: defaults, every parameter, and a link that round-trips', () => {
  assert.equal(parseSettings('', 4), defaultSettings(4));
  assert.is(parseSettings('', 64).threads, 16, 'threads default to the cores, at most 16');
  const s = parseSettings('?backend=webgl2&epochs=2&batch=64&lr=0.01&seed=7&limit=3000&hidden=64&dropout=0&autostart=1', 2);
  assert.equal(s, { ...defaultSettings(2), backend: 'webgl2', epochs: 2, batchSize: 64, learningRate: 0.01, seed: 7, limit: 3000, hidden: 64, dropout: 0, autostart: true });
  assert.equal(parseSettings(settingsQuery(s, 2), 2), s);
  assert.is(settingsQuery(defaultSettings(8), 8), '');
  assert.is(settingsQuery({ ...defaultSettings(8), threads: 2, kernels: 'naive' }, 8), '?threads=2&kernels=naive');
});

test('settings: a bad parameter is one line naming it', () => {
  const cases: [string, RegExp][] = [
    ['?epochs=0', /^URL parameter epochs expects an integer 1\.\.1000, got "0"$/],
    ['?epochs=1.5', /epochs expects an integer/],
    ['?threads=17', /threads expects an integer 1\.\.16/],
    ['?lr=-1', /^URL parameter lr expects a positive number, got "-1"$/],
    ['?backend=cuda', /^URL parameter backend must be one of cpu, webgl2, webgl, gpujs-cpu, got "cuda"$/],
    ['?limit=60001', /limit expects an integer 1\.\.60000/],
    ['?seed=4294967296', /seed expects an integer 0\.\.4294967295/],
    ['?epoch=2', /^unknown URL parameter "epoch" \(known: backend, threads, kernels, epochs, batch, lr, seed, limit, hidden, dropout, autostart\)$/],
    ['?dropout=1', /^URL parameter dropout expects a rate 0 <= P < 1, got "1"$/],
    ['?hidden=0', /hidden expects an integer 1\.\.4096/],
    ['?seed=1&seed=2', /^URL parameter seed given more than once$/],
  ];
  for (const [query, message] of cases) {
    try {
      parseSettings(query, 2);
      assert.unreachable(query);
    } catch (e) {
      assert.instance(e, SettingsError, query);
      assert.match((e as Error).message, message, query);
    }
  }
});

test('device: browser, OS and architecture from real user agents; the record fields', () => {
  const uas: [string, string, [string, string]][] = [
    ['Mozilla/5.0 (X11; Linux aarch64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome 131', ['Linux', 'aarch64']],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36', 'Chrome (headless) 156', ['Linux', 'x86_64']],
    ['Mozilla/5.0 (X11; Ubuntu; Linux aarch64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox 133', ['Linux', 'aarch64']],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15', 'Safari 17.4', ['macOS', '']],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', 'Chrome 131', ['Android 14', '']],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', 'Edge 131', ['Windows', 'x86_64']],
  ];
  for (const [ua, browser, platform] of uas) {
    assert.is(browserOf(ua), browser, ua);
    assert.equal(platformOf(ua), platform, ua);
  }
  const m = machineOf(uas[0][0], 4, 'ANGLE (NVIDIA, NVIDIA Tegra X1)');
  assert.equal(m, { cpu: 'Linux aarch64 CPU', cores: 4, os: 'Linux', arch: 'aarch64', node: 'none (browser)', browser: 'Chrome 131', gpu: 'ANGLE (NVIDIA, NVIDIA Tegra X1)' });
  assert.not.ok('gpu' in machineOf(uas[0][0], 4, null), 'no WebGL: no gpu field');
});

// Centre of mass and bounding box of a 28x28 image.
function geometry(img: Float32Array) {
  let mass = 0, cx = 0, cy = 0, x0 = SIDE, x1 = -1, y0 = SIDE, y1 = -1;
  for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) {
    const v = img[y * SIDE + x];
    mass += v; cx += v * x; cy += v * y;
    if (v > 0.1) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  }
  return { cx: cx / mass, cy: cy / mass, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

test('digit: a drawn stroke, anywhere and at any size, becomes a 20-pixel digit centred by its mass', () => {
  assert.is(mnistDigit(new Float32Array(100 * 80), 100, 80), null, 'no ink: nothing to read');
  // A tall bar, off-centre in a 300x200 canvas: 20 pixels high, mass in the middle.
  const W = 300, H = 200, ink = new Float32Array(W * H);
  for (let y = 20; y < 140; y++) for (let x = 230; x < 250; x++) ink[y * W + x] = 1;
  const g = geometry(mnistDigit(ink, W, H)!);
  assert.is(g.h, 20);
  assert.ok(g.w >= 3 && g.w <= 4, `width ${g.w}: the aspect ratio kept`);
  assert.ok(Math.abs(g.cx - 14) <= 0.5 && Math.abs(g.cy - 14) <= 0.5, `centre ${g.cx}, ${g.cy}`);
});

test('digit: real test digits scaled up 10x come back close to themselves', () => {
  const { test: split } = loadMnist(packageDataDir());
  for (let i = 0; i < 20; i++) {
    const original = Float32Array.from(split.images.subarray(i * 784, (i + 1) * 784), (v) => v / 255);
    const big = new Float32Array(280 * 280);
    for (let p = 0; p < 280 * 280; p++) big[p] = original[Math.floor(p / 280 / 10) * 28 + Math.floor((p % 280) / 10)];
    const back = mnistDigit(big, 280, 280)!;
    const a = geometry(original), b = geometry(back);
    assert.ok(Math.abs(a.cx - b.cx) <= 1 && Math.abs(a.cy - b.cy) <= 1, `image ${i}: centre ${a.cx},${a.cy} -> ${b.cx},${b.cy}`);
    // The same strokes, up to a shift of a pixel or two (MNIST's own centring rounds differently).
    let best = 0;
    for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) {
      let overlap = 0, total = 0;
      for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) {
        const u = original[y * SIDE + x], sx = x + dx, sy = y + dy;
        const v = sx >= 0 && sx < SIDE && sy >= 0 && sy < SIDE ? back[sy * SIDE + sx] : 0;
        overlap += Math.min(u, v); total += Math.max(u, v);
      }
      best = Math.max(best, overlap / total);
    }
    assert.ok(best > 0.7, `image ${i}: ${best.toFixed(2)} of the ink in common`);
  }
});

test('the page\'s engine: no WebGL for the backend asked is one message offering the CPU; no isolation is one thread and says why', async () => {
  const noWebGl = { GPU: { isWebGL2Supported: false, isWebGLSupported: false } } as unknown as GpuJs;
  const warnings: string[] = [];
  const ctx = { cores: 2, isolated: false, gpujs: noWebGl, threads: nodeThreads, warn: (t: string) => warnings.push(t) };
  for (const backend of ['webgl2', 'webgl'] as const) {
    try {
      await pageEngine({ ...defaultSettings(2), backend }, ctx);
      assert.unreachable(backend);
    } catch (e) {
      assert.instance(e, UserError);
      assert.is((e as Error).message, `${backend === 'webgl2' ? 'WebGL2' : 'WebGL'} is not available in this browser's workers (no GPU, or WebGL turned off): choose the CPU backend`);
    }
  }
  const engine = await pageEngine({ ...defaultSettings(2), threads: 2 }, ctx);
  assert.is(engine.info.threads, 1);
  assert.match(warnings.join('\n'), /^one thread: this page is not cross-origin isolated/);
  await engine.close();
});

test.run();
