// The saved-model format: a round trip, the checksum, every kind of bad file, the atomic write,
// and `npm run evaluate` reproducing the bench's own evaluation line from the saved weights.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, encodeModel, parseModel, MODEL_MAGIC } from '../src/train/results/model_format.ts';
import { loadModel, saveModel } from '../src/node/model_file.ts';
import { writeFileAtomic } from '../src/node/files.ts';
import { DataError } from '../src/train/errors.ts';
import { MNIST_MODEL, Model, type ModelShape } from '../src/nn/model.ts';
import { runBench, checkOutputPaths } from '../src/node/cli/bench.ts';
import { runEvaluate, parseEvaluateFlags } from '../src/node/cli/evaluate.ts';
import { DEFAULTS } from '../src/node/cli/flags.ts';
import { UserError } from '../src/train/errors.ts';
import { makeRng, nextUint32 } from '../src/tensor/rng.ts';
import { mnistDir } from './idx.ts';
import { tempDir } from './helpers.ts';

const dir = tempDir('mnist-ts-model-');
const params = new Model(MNIST_MODEL, 1, 7).params;
const good = encodeModel(MNIST_MODEL, params);

// The cause of the error loading these bytes; through a real file unless inMemory (cheaper in loops).
function loadError(bytes: Uint8Array, what: string, shape: ModelShape = MNIST_MODEL, inMemory = false): string {
  const path = join(dir, 'm.bin');
  if (!inMemory) {
    rmSync(path, { force: true });
    writeFileSync(path, bytes);
  }
  try {
    if (inMemory) parseModel(bytes, path, shape);
    else loadModel(path, shape);
  } catch (e) {
    if (!(e instanceof DataError)) throw new Error(`${what}: not a DataError: ${(e as Error).stack}`);
    assert.not.match(e.message, /\n/);
    assert.ok(e.message.endsWith(`: ${path}`), `${what}: ${e.message}`);
    return e.message.slice(0, -path.length - 2);
  }
  throw new Error(`${what}: loaded`);
}

test('crc32 is the standard one (zlib, PNG)', () => {
  assert.is(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.is(crc32(new Uint8Array(0)), 0);
});

test('the format: magic, version, shapes, little-endian float32, checksum; a round trip is exact', () => {
  assert.is(good.length, 56 + 4 * 101770 + 4);
  assert.is(new TextDecoder().decode(good.subarray(0, 8)), MODEL_MAGIC);
  const view = new DataView(good.buffer);
  assert.equal([8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52].map((o) => view.getUint32(o, true)), [1, 4, 2, 784, 128, 1, 128, 2, 128, 10, 1, 10]);
  assert.is(view.getFloat32(56, true), params[0]);
  assert.is(view.getUint32(good.length - 4, true), crc32(good, 0, good.length - 4));
  const back = parseModel(good, 'x', MNIST_MODEL);
  assert.equal([...back.subarray(0, 5)], [...params.subarray(0, 5)]);
  assert.ok(back.every((v, i) => Object.is(v, params[i])), 'bit-identical');
});

test('truncated at many offsets: named as truncated', () => {
  for (let n = 1; n < good.length; n += n < 64 ? 1 : 997) {
    assert.match(loadError(good.subarray(0, n), `cut at ${n}`, MNIST_MODEL, n % 7 !== 0), n < 16 ? /^truncated: \d+ bytes, shorter than the 16-byte/ : /^truncated: \d+ bytes/, `cut at ${n}`);
  }
  assert.match(loadError(new Uint8Array(0), 'empty'), /^the model file is empty$/);
  assert.match(loadError(Uint8Array.from([...good, 0, 0]), 'trailing'), /^2 bytes past the end its header describes/);
});

test('a flipped bit anywhere in the weights or the checksum: checksum mismatch', () => {
  const rng = makeRng(5);
  for (let trial = 0; trial < 40; trial++) {
    const bad = good.slice();
    const at = 56 + (nextUint32(rng) % (bad.length - 56));
    bad[at] ^= 1 << (nextUint32(rng) % 8);
    assert.match(loadError(bad, `bit at ${at}`, MNIST_MODEL, trial > 3), /^checksum mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\): the file is corrupt$/);
  }
});

test('wrong magic, wrong version, corrupt header, wrong shape, non-finite weights', () => {
  const bad = (edit: (b: Uint8Array, v: DataView) => void, fixCrc = true): Uint8Array => {
    const b = good.slice();
    const v = new DataView(b.buffer);
    edit(b, v);
    if (fixCrc) v.setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
    return b;
  };
  assert.match(loadError(bad((b) => { b[0] = 0x4d; }), 'magic'), /^not an mnist-ts model file/);
  assert.match(loadError(readFileSync(new URL('../package.json', import.meta.url)), 'json'), /^not an mnist-ts model file/);
  assert.match(loadError(bad((_, v) => v.setUint32(8, 2, true)), 'version'), /^model format version 2, this program reads version 1$/);
  assert.match(loadError(bad((_, v) => v.setUint32(8, 0x01000000, true)), 'big-endian version'), /^model format version 16777216/);
  assert.match(loadError(bad((_, v) => v.setUint32(12, 1000, true)), 'tensors'), /^corrupt header: 1000 tensors$/);
  assert.match(loadError(bad((_, v) => v.setUint32(16, 3, true)), 'rank'), /^corrupt header: tensor 1 has rank 3$/);
  assert.match(loadError(bad((_, v) => v.setUint32(20, 0, true)), 'dim 0'), /^corrupt header: tensor 1 has a dimension of 0$/);
  assert.match(loadError(bad((_, v) => v.setUint32(24, 64, true)), 'dims vs length'), /^\d+ bytes past the end its header describes/);
  assert.match(loadError(bad((_, v) => v.setFloat32(60, NaN, true)), 'NaN'), /^weight 1 is NaN/);
  // A valid file of another shape (64 hidden units) is refused as such.
  const small = { ...MNIST_MODEL, hidden: 64 };
  assert.match(loadError(encodeModel(small, new Model(small, 1, 1).params), 'hidden 64'), /^wrong shape: W1 is 784x64 in the file, this model needs 784x128$/);
  const tiny = { inputs: 784, hidden: 128, classes: 9, dropoutRate: 0.2 };
  assert.match(loadError(encodeModel(tiny, new Model(tiny, 1, 1).params), '9 classes'), /^wrong shape: W2 is 128x9 in the file, this model needs 128x10$/);
});

test('not a file, missing, unreadable', () => {
  const sub = join(dir, 'sub');
  mkdirSync(sub, { recursive: true });
  assert.throws(() => loadModel(sub, MNIST_MODEL), (e: Error) => e.message === `expected a model file, found a directory: ${sub}`);
  assert.throws(() => loadModel(join(dir, 'none.bin'), MNIST_MODEL), (e: Error) => e.message === `cannot read the model file (ENOENT): ${join(dir, 'none.bin')}`);
  assert.throws(() => loadModel('/dev/zero', MNIST_MODEL), (e: Error) => /not a regular file: \/dev\/zero$/.test(e.message));
});

test('atomic write: a failed write leaves the old file whole and no temporary file', () => {
  const target = join(tempDir('mnist-ts-atomic-'), 'model.bin');
  saveModel(target, MNIST_MODEL, params);
  const before = readFileSync(target);
  const folder = join(target, '..');
  if (process.getuid?.() !== 0) { // root ignores the folder's write bit; the failed rename below covers it
    chmodSync(folder, 0o500);
    assert.throws(() => saveModel(target, MNIST_MODEL, new Float32Array(101770)));
    chmodSync(folder, 0o700);
  }
  mkdirSync(join(folder, 'blocker'));
  writeFileSync(join(folder, 'blocker', 'x'), 'x'); // a non-empty folder: renaming a file over it fails
  assert.throws(() => writeFileAtomic(join(folder, 'blocker'), 'new'));
  assert.equal(readFileSync(target), before);
  assert.equal(readdirSync(folder).sort(), ['blocker', 'model.bin']);
});

test('output paths are checked before training: a missing folder is a usage error (exit 2)', () => {
  for (const [flag, key] of [['--json', 'json'], ['--save-model', 'saveModel']] as const) {
    const options = { ...DEFAULTS, [key]: '/nonexistent/folder/out' };
    assert.throws(() => checkOutputPaths(options), (e: Error) => e instanceof UserError && e.exitCode === 2
      && e.message === `${flag} /nonexistent/folder/out: no folder /nonexistent/folder (see --help)`);
    assert.throws(() => checkOutputPaths({ ...DEFAULTS, [key]: dir }), (e: Error) => e.message === `${flag} ${dir}: ${dir} is a folder (see --help)`);
  }
  checkOutputPaths({ ...DEFAULTS, json: join(dir, 'r.json'), saveModel: join(dir, 'm.bin') });
});

test('evaluate: --model is required; the flags table drives its parser', () => {
  assert.throws(() => parseEvaluateFlags([]), (e: Error) => e instanceof UserError && e.exitCode === 2 && /--model FILE is required/.test(e.message));
  assert.is(parseEvaluateFlags(['--help']).help, true);
  assert.equal(parseEvaluateFlags(['--model', 'm', '--data=d', '--batch-size', '100']), { model: 'm', data: 'd', batchSize: 100, help: false });
});

// Train a little with --save-model, then evaluate the file: the line must equal the bench's own
// evaluation line (same weights, same test set), first in-process and then as the command.
test('bench --save-model then evaluate --model: the same evaluation line; the command refuses a damaged file in one line, exit 1', async () => {
  const data = mnistDir(320, 100);
  const model = join(dir, 'trained.bin');
  let log = '';
  const { record } = await runBench({ ...DEFAULTS, data, epochs: 1, saveModel: model }, { write: (s: string) => (log += s) });
  const benchLine = log.match(/^4\/4 - .*$/m)?.[0];
  assert.ok(benchLine, log);
  let evalLog = '';
  const stats = await runEvaluate({ model, data, batchSize: 32, help: false }, { write: (s: string) => (evalLog += s) });
  assert.is(Math.round(stats.loss * 1e6) / 1e6, record.test?.loss);
  assert.is(Math.round(stats.accuracy * 1e6) / 1e6, record.test?.accuracy);
  const strip = (line: string) => line.replace(/ - \d+[mu]?s(\/epoch| )?/g, ' - T').replace(/\d+[mu]?s\/step/, 'T');
  assert.match(evalLog, /^model: .*trained\.bin \(784-128-10, 101770 weights\), evaluating on 100 images\nModel: "sequential"\n(?:.*\n){14}_{65}\n4\/4 - \d+s - loss: \d\.\d{4} - accuracy: \d\.\d{4} - \d+[mu]?s\/epoch - \d+[mu]?s\/step\n\nConfusion matrix /);
  assert.is(strip(evalLog.match(/^4\/4 - .*$/m)![0]), strip(benchLine));
  assert.equal(stats.confusion, record.test?.confusion, 'the same counts as the bench\'s record');

  // The command itself, given a damaged copy: one line on stderr, exit 1.
  const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'bench/evaluate.ts', ...args], { encoding: 'utf8' });

  const corrupt = readFileSync(model);
  corrupt[1000] ^= 4;
  const bad = join(dir, 'corrupt.bin');
  writeFileSync(bad, corrupt);
  const r = run(['--model', bad, '--data', data]);
  assert.is(r.status, 1);
  assert.is(r.stdout, '');
  assert.match(r.stderr, new RegExp(`^evaluate: checksum mismatch \\(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\\): the file is corrupt: ${bad}\\n$`));
});

test.run();
