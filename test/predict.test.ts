// `npm run predict`: the MNIST-style conversion (digit.ts) on MNIST's own digits and on synthetic
// ones, PNG decoding, the flags, and the command on PNG files made from test digits (scaled up 3x,
// inverted, coloured) against the same digits taken raw, with a model trained here.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { mnistDigit, SIDE } from '../src/train/data/digit.ts';
import { toGrey } from '../src/node/png.ts';
import { parsePredictFlags, predictHelpText, runPredict, PREDICT_FLAGS } from '../src/node/cli/predict.ts';
import { runBench } from '../src/node/cli/bench.ts';
import { DEFAULTS } from '../src/node/cli/flags.ts';
import { loadMnist, packageDataDir } from '../src/node/mnist_files.ts';
import { UserError } from '../src/train/errors.ts';
import { mnistDir } from './idx.ts';
import { tempDir } from './helpers.ts';

const mnist = loadMnist(packageDataDir());
const dir = tempDir('mnist-ts-predict-');
const testDigit = (n: number) => mnist.test.images.subarray(n * 784, (n + 1) * 784);

// Test digit n drawn `scale` times larger in a w x h image at (left, top); ink is `ink(v)` as RGBA.
function writeDigitPng(path: string, n: number, scale: number, left: number, top: number, w: number, h: number, ink: (v: number) => [number, number, number, number]): void {
  const png = new pngjs.PNG({ width: w, height: h });
  const img = testDigit(n);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = Math.floor((x - left) / scale), sy = Math.floor((y - top) / scale);
      const v = sx >= 0 && sx < 28 && sy >= 0 && sy < 28 ? img[sy * 28 + sx] : 0;
      png.data.set(ink(v), 4 * (y * w + x));
    }
  }
  writeFileSync(path, pngjs.PNG.sync.write(png));
}

test('digit.ts: MNIST\'s own digits come back in place (its 20x20 box and centre of mass), nearly to the pixel', () => {
  let exact = 0;
  for (let n = 0; n < 300; n++) {
    const img = testDigit(n);
    const out = mnistDigit(img, 28, 28)!;
    let diff = 0;
    for (let i = 0; i < 784; i++) diff += Math.abs(out[i] - img[i] / 255);
    if (diff / 784 < 0.001) exact++;
  }
  assert.ok(exact >= 290, `${exact} of 300 reproduced`);
});

test('digit.ts: a 3x larger, inverted, off-centre copy in a wide image gives the same 784 pixels; aspect ratio kept; blank is null', () => {
  const n = 0, S = 3, W = 140, H = 100, left = 40, top = 9;
  const grey = new Uint8Array(W * H).fill(255);
  const img = testDigit(n);
  for (let y = 0; y < 28 * S; y++) for (let x = 0; x < 28 * S; x++) grey[(top + y) * W + left + x] = 255 - img[Math.floor(y / S) * 28 + Math.floor(x / S)];
  const direct = mnistDigit(img, 28, 28)!, big = mnistDigit(grey, W, H)!;
  let worst = 0;
  for (let i = 0; i < 784; i++) worst = Math.max(worst, Math.abs(direct[i] - big[i]));
  assert.ok(worst < 1e-5, `worst pixel differs by ${worst}`);
  // A bar 10 wide and 50 tall becomes 4 x 20 with its centre of mass at pixel (14.5, 14.5) (rounding
  // half up from 14, 14); white on black; floats in [0,1] work too.
  const bar = new Float32Array(60 * 80);
  for (let y = 10; y < 60; y++) for (let x = 20; x < 30; x++) bar[y * 60 + x] = 1;
  const out = mnistDigit(bar, 60, 80)!;
  const lit = [...out.keys()].filter((i) => out[i] > 0.5);
  const cols = new Set(lit.map((i) => i % SIDE)), rows = new Set(lit.map((i) => Math.floor(i / SIDE)));
  assert.equal([cols.size, rows.size, Math.min(...cols), Math.min(...rows)], [4, 20, 13, 5]);
  assert.is(mnistDigit(new Uint8Array(50 * 50).fill(200), 50, 50), null);
  assert.is(mnistDigit(new Uint8Array(0), 0, 0), null);
});

test('png.ts: RGBA to grey; transparent pixels take the colour that contrasts with the strokes', () => {
  const dark = Uint8Array.from([0, 0, 0, 255, 0, 0, 0, 0]); // a black stroke pixel, a transparent one
  assert.equal([...toGrey(dark, 2)], [0, 1]);
  const light = Uint8Array.from([255, 255, 255, 255, 9, 9, 9, 0]);
  assert.equal([...toGrey(light, 2)], [1, 0]);
});

test('predict flags: --model required; images or --test-index, not both; values checked; help lists every flag', () => {
  const usage = (argv: string[]): string => {
    try { parsePredictFlags(argv); } catch (e) { assert.instance(e, UserError); assert.is((e as UserError).exitCode, 2); return (e as Error).message; }
    throw new Error(`accepted ${argv.join(' ')}`);
  };
  assert.equal(parsePredictFlags(['--model', 'm.json', 'a.png', '--show', 'b.png']), { model: 'm.json', images: ['a.png', 'b.png'], testIndex: null, data: null, show: true, help: false });
  assert.equal(parsePredictFlags(['--model=m', '--test-index', '0', '--data', 'd']).testIndex, 0);
  assert.match(usage(['a.png']), /^--model FILE is required/);
  assert.match(usage(['--model', 'm']), /^no image: give PNG files, or --test-index N/);
  assert.match(usage(['--model', 'm', 'a.png', '--test-index', '1']), /^give PNG images or --test-index N, not both/);
  assert.match(usage(['--model', 'm', '--test-index', '-1']), /--test-index expects an index/);
  assert.match(usage(['--model', 'm', '--test-index', 'x']), /--test-index expects an index 0, 1, 2, \.\.\., got "x"/);
  assert.match(usage(['--model', 'm', 'a.png', '--data', 'd']), /--data applies to --test-index only/);
  assert.match(usage(['--model', 'm', '--bogus', 'a.png']), /unknown flag --bogus/);
  const listed = [...predictHelpText('predict').matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]);
  assert.equal(listed.sort(), Object.keys(PREDICT_FLAGS).sort());
});

test('predict on PNGs of test digits (3x, inverted, coloured, transparent) gives the class of the raw test digit; bad files are one line, exit 1', async () => {
  const model = join(dir, 'model.bin');
  await runBench({ ...DEFAULTS, data: mnistDir(2000, 100), epochs: 1, saveModel: model }, { write: () => true });
  const quiet = { write: () => true };
  const files: string[] = [];
  const inks: ((v: number) => [number, number, number, number])[] = [
    (v) => [255 - v, 255 - v, 255 - v, 255], // dark on white
    (v) => [v, v >> 1, 0, 255], // orange on black
    (v) => [0, 0, 80, v], // dark blue strokes on a transparent canvas
  ];
  for (let n = 0; n < 6; n++) {
    const file = join(dir, `digit${n}.png`);
    writeDigitPng(file, n, 3, 17 + n, 11, 130, 110, inks[n % inks.length]);
    files.push(file);
  }
  const fromPng = runPredict({ model, images: files, testIndex: null, data: null, show: false, help: false }, quiet);
  for (let n = 0; n < 6; n++) {
    const raw = runPredict({ model, images: [], testIndex: n, data: null, show: false, help: false }, quiet)[0];
    assert.is(fromPng[n].digit, raw.digit, `digit ${n}`);
    assert.is(raw.name, `test image ${n} (label ${mnist.test.labels[n]})`);
    for (let c = 0; c < 10; c++) assert.ok(Math.abs(fromPng[n].probabilities[c] - raw.probabilities[c]) < 0.02, `digit ${n}, class ${c}`);
  }
  assert.ok(fromPng.filter((p, n) => p.digit === mnist.test.labels[n]).length >= 5, 'the model has learned');

  // The command (as built: much quicker to start than under tsx): output per image, --show; then
  // each bad input is one line on stderr, exit 1.
  assert.is(spawnSync(process.execPath, ['scripts/build.mjs', '--quiet']).status, 0);
  const run = (args: string[]) => spawnSync(process.execPath, ['dist/predict.mjs', '--model', model, ...args], { encoding: 'utf8' });
  const ok = run(['--show', files[0]]);
  assert.is(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`^model: .*model\\.bin \\(784-128-10\\)\\ndigit0\\.png:\\n( {2}\\|[ .:=+*#%@-]{56}\\|\\n){28}digit0\\.png: ${fromPng[0].digit} \\(\\d+\\.\\d%\\)\\n {2}0: \\d\\.\\d{4} {2}1: `));
  const blank = join(dir, 'blank.png');
  const white = new pngjs.PNG({ width: 30, height: 20 });
  white.data.fill(255);
  writeFileSync(blank, pngjs.PNG.sync.write(white));
  const cut = join(dir, 'cut.png');
  writeFileSync(cut, pngjs.PNG.sync.write(white).subarray(0, 40));
  const notPng = join(dir, 'digit.jpg');
  writeFileSync(notPng, 'JFIF not a png');
  mkdirSync(join(dir, 'folder.png'), { recursive: true });
  for (const [file, message] of [
    [join(dir, 'missing.png'), 'cannot read the image (ENOENT)'],
    [notPng, 'not a PNG image (it does not start with the PNG signature)'],
    [blank, 'the image is empty: no digit on it'],
    [join(dir, 'folder.png'), 'expected a PNG image, found something that is not a regular file'],
  ]) {
    const r = run([files[1], file]);
    assert.is(r.status, 1, file);
    assert.is(r.stdout, '');
    assert.is(r.stderr, `predict: ${message}: ${file}\n`);
  }
  const r = run([cut]);
  assert.is(r.status, 1);
  assert.match(r.stderr, new RegExp(`^predict: corrupt or truncated PNG \\([^\\n]*\\): ${cut}\\n$`));
});

test.run();
