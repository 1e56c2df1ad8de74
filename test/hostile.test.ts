// Hostile data for the IDX loader: every header field wrong in turn, truncations at every offset,
// things that are not files, and thousands of random mutations. Each must end in the loader's own
// one-line DataError naming the file, or (for a mutation of pixel or label values only) load cleanly.

import { test } from 'uvu';
import { build } from 'esbuild';
import * as assert from 'uvu/assert';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { gzipSync, deflateSync } from 'node:zlib';
import { loadSplit, readIdxImages, readIdxLabels } from '../src/node/mnist_files.ts';
import { DataError } from '../src/train/errors.ts';
import { makeRng, nextFloat, nextUint32 } from '../src/tensor/rng.ts';
import { idxImages, idxLabels } from './idx.ts';
import { tempDir } from './helpers.ts';

const dir = tempDir('mnist-ts-hostile-');
const imagesPath = join(dir, 'images');
const labelsPath = join(dir, 'labels');

// Every cause the loader can give; anything else (or a message without the path) is a bug.
const CAUSES = [
  /^the file is empty$/, /^expected an IDX file, found a (directory|FIFO|socket|device)$/, /^missing data file \(\w+\)$/,
  /^cannot read the file \(\w+\)$/, /^the file is gzip-compressed, not IDX \(gunzip it first\)$/,
  /^truncated: \d+ bytes, shorter than the (16|8)-byte IDX header$/, /^wrong magic number \d+ \(expected (2051|2049) for IDX (images|labels)\)$/,
  /^images are \d+x\d+, expected 28x28$/, /^the file holds 0 (images|labels)$/, /^truncated: \d+ bytes, \d+ (images|labels) need \d+$/,
  /^\d+ trailing bytes after \d+ (images|labels) \(expected \d+ bytes\)$/, /^label \d+ is \d+, not a digit 0-9$/,
  /^\d+ images but \d+ labels in .+$/,
];

// Runs fn; returns the DataError's cause (message minus ": path"), or null if fn succeeded.
// Any other exception, a second line, or a message not naming one of the files fails the test.
function outcome(fn: () => unknown, paths: string[], what: string): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (!(e instanceof DataError)) throw new Error(`${what}: not a DataError: ${(e as Error).stack ?? e}`);
    const message = e.message;
    assert.not.match(message, /\n/, `${what}: more than one line`);
    const path = paths.find((p) => message.endsWith(`: ${p}`));
    assert.ok(path !== undefined, `${what}: the message does not end with the file: ${message}`);
    const cause = message.slice(0, message.length - path.length - 2);
    assert.ok(CAUSES.some((c) => c.test(cause)), `${what}: unknown cause "${cause}"`);
    return cause;
  }
}

// Replacing a file by truncating it makes ext4 flush it to disk (about 1 ms); a new file does not.
function put(path: string, bytes: Uint8Array): void {
  rmSync(path, { force: true });
  writeFileSync(path, bytes);
}

function imagesError(bytes: Uint8Array, what: string): string | null {
  put(imagesPath, bytes);
  return outcome(() => readIdxImages(imagesPath), [imagesPath], what);
}

function labelsError(bytes: Uint8Array, what: string): string | null {
  put(labelsPath, bytes);
  return outcome(() => readIdxLabels(labelsPath), [labelsPath], what);
}

function withU32(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint32(offset, value);
  return copy;
}

test('images: every header field wrong in turn', () => {
  const good = idxImages(3);
  assert.is(imagesError(good, 'valid'), null);
  const cases: [string, number, number, RegExp][] = [
    ['magic: labels', 0, 2049, /wrong magic number 2049 \(expected 2051/],
    ['magic: int32 type code', 0, 0x00000c03, /wrong magic number 3075/],
    ['magic: 2 dimensions', 0, 0x00000802, /wrong magic number 2050/],
    ['magic: little-endian', 0, 0x03080000, /wrong magic number 50855936/],
    ['count + 1', 4, 4, /truncated: 2368 bytes, 4 images need 3152/],
    ['count - 1', 4, 2, /784 trailing bytes after 2 images/],
    ['count 0', 4, 0, /holds 0 images/],
    ['count 2^32-1', 4, 0xffffffff, /truncated: 2368 bytes, 4294967295 images need/],
    ['rows 27', 8, 27, /images are 27x28/],
    ['rows 0', 8, 0, /images are 0x28/],
    ['rows 2^32-1', 8, 0xffffffff, /images are 4294967295x28/],
    ['cols 29', 12, 29, /images are 28x29/],
    ['cols 0', 12, 0, /images are 28x0/],
  ];
  for (const [name, offset, value, cause] of cases) {
    assert.match(imagesError(withU32(good, offset, value), name) ?? 'loaded', cause, name);
  }
  for (let i = 0; i < 4; i++) { // any single magic byte off
    const bad = good.slice();
    bad[i] ^= 0x40;
    assert.match(imagesError(bad, `magic byte ${i}`) ?? 'loaded', /wrong magic number/);
  }
});

test('labels: every header field wrong in turn', () => {
  const good = idxLabels(5);
  assert.is(labelsError(good, 'valid'), null);
  const cases: [string, number, number, RegExp][] = [
    ['magic: images', 0, 2051, /wrong magic number 2051 \(expected 2049/],
    ['magic: zero', 0, 0, /wrong magic number 0/],
    ['count + 1', 4, 6, /truncated: 13 bytes, 6 labels need 14/],
    ['count - 1', 4, 4, /1 trailing bytes after 4 labels/],
    ['count 0', 4, 0, /holds 0 labels/],
    ['count 2^32-1', 4, 0xffffffff, /truncated: 13 bytes, 4294967295 labels need/],
  ];
  for (const [name, offset, value, cause] of cases) {
    assert.match(labelsError(withU32(good, offset, value), name) ?? 'loaded', cause, name);
  }
});

test('truncation at every offset, for both kinds of file', () => {
  const images = idxImages(2), labels = idxLabels(7);
  for (let n = 0; n < images.length; n++) {
    const cause = imagesError(images.subarray(0, n), `images cut at ${n}`);
    const expected = n === 0 ? /empty/ : n < 16 ? /shorter than the 16-byte IDX header/ : new RegExp(`truncated: ${n} bytes, 2 images need 1584`);
    assert.match(cause ?? 'loaded', expected, `images cut at ${n}`);
  }
  for (let n = 0; n < labels.length; n++) {
    const cause = labelsError(labels.subarray(0, n), `labels cut at ${n}`);
    const expected = n === 0 ? /empty/ : n < 8 ? /shorter than the 8-byte IDX header/ : new RegExp(`truncated: ${n} bytes, 7 labels need 15`);
    assert.match(cause ?? 'loaded', expected, `labels cut at ${n}`);
  }
});

test('compressed files are named as such, whatever the compression of the header', () => {
  assert.match(imagesError(gzipSync(idxImages(2)), 'gzip') ?? 'loaded', /gzip-compressed, not IDX/);
  assert.match(labelsError(gzipSync(idxLabels(3)), 'gzip') ?? 'loaded', /gzip-compressed, not IDX/);
  assert.match(labelsError(gzipSync(new Uint8Array(0)), 'gzip of nothing') ?? 'loaded', /gzip-compressed/);
  assert.match(imagesError(deflateSync(idxImages(2)), 'zlib') ?? 'loaded', /wrong magic number/); // not gzip: still refused
});

test('labels above 9 anywhere, and image/label counts that disagree', () => {
  for (const [index, value] of [[0, 10], [3, 11], [6, 255]]) {
    const labels = idxLabels(7);
    labels[8 + index] = value;
    assert.match(labelsError(labels, `label ${index}`) ?? 'loaded', new RegExp(`label ${index} is ${value}, not a digit`));
  }
  put(imagesPath, idxImages(6));
  for (const n of [5, 7, 1]) {
    put(labelsPath, idxLabels(n));
    const cause = outcome(() => loadSplit(imagesPath, labelsPath), [imagesPath], `${n} labels`);
    assert.match(cause ?? 'loaded', new RegExp(`6 images but ${n} labels in ${labelsPath}`));
  }
});

test('not a file: missing, a directory, a device, a FIFO-like path', () => {
  const missing = join(dir, 'nothing-here');
  assert.match(outcome(() => readIdxImages(missing), [missing], 'missing') ?? 'loaded', /missing data file \(ENOENT\)/);
  assert.match(outcome(() => readIdxImages(dir), [dir], 'directory') ?? 'loaded', /found a directory/);
  assert.match(outcome(() => readIdxLabels('/dev/zero'), ['/dev/zero'], '/dev/zero') ?? 'loaded', /found a device/); // never ends if read
  assert.match(outcome(() => readIdxLabels('/dev/null'), ['/dev/null'], '/dev/null') ?? 'loaded', /found a device/);
  const underFile = join(imagesPath, 'x'); // a path through a regular file
  put(imagesPath, idxImages(1));
  assert.match(outcome(() => readIdxImages(underFile), [underFile], 'through a file') ?? 'loaded', /missing data file \(ENOTDIR\)/);
});

// chmod 000 does not stop root, and tests often run as root (CI containers). Then a child process
// that has dropped to the unprivileged uid 65534 (nobody) reads the file, so the refusal is real.
// That uid may not be able to read this checkout (a clone in a private folder), so the loader is
// bundled into a world-readable temporary folder for it.
test('an unreadable file: EACCES, named', async () => {
  const folder = tempDir('mnist-ts-unreadable-');
  const file = join(folder, 'train-images-idx3-ubyte');
  writeFileSync(file, idxImages(1));
  chmodSync(file, 0o000);
  chmodSync(folder, 0o755);
  if (process.getuid?.() !== 0) {
    assert.match(outcome(() => readIdxImages(file), [file], 'unreadable') ?? 'loaded', /cannot read the file \(EACCES\)/);
    return;
  }
  const loader = join(folder, 'loader.mjs');
  await build({ entryPoints: [resolve('src/node/mnist_files.ts')], outfile: loader, bundle: true, format: 'esm', platform: 'node', logLevel: 'silent' });
  chmodSync(loader, 0o644);
  const code = `import(${JSON.stringify(loader)}).then((m) => { try { m.readIdxImages(${JSON.stringify(file)}); console.log('loaded'); } catch (e) { console.log(e.constructor.name + ': ' + e.message); } })`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', cwd: folder, uid: 65534, gid: 65534, env: { ...process.env, HOME: tmpdir() } });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'EACCES') {
    // A Node that lives in a private folder (npx's node@24 under /root/.npm) cannot be run by that uid.
    console.log(`\n  skipped "an unreadable file": uid 65534 cannot run ${process.execPath} (EACCES); the check runs on a Node it can reach`);
    return;
  }
  assert.is(r.stderr, '');
  assert.is(r.stdout, `DataError: cannot read the file (EACCES): ${file}\n`);
});

// Mutations of small valid files, read through the same code as real data. A mutation that loads
// must have left the header and the length alone and kept the labels digits: no silent success.
test('3000 random mutations: the loader\'s own error, or a load that is really fine', () => {
  const rng = makeRng(2026);
  const int = (n: number) => Math.floor(nextFloat(rng) * n);
  const baseImages = idxImages(2), baseLabels = idxLabels(2);
  const interesting = [0, 1, 2, 9, 10, 27, 28, 29, 255, 2049, 2051, 0x7fffffff, 0xffffffff];
  const counts = new Map<string, number>();
  let loaded = 0;
  put(imagesPath, baseImages);
  put(labelsPath, baseLabels);
  let lastMutatedImages: boolean | null = null;
  for (let trial = 0; trial < 3000; trial++) {
    const mutateImages = int(2) === 0;
    const base = mutateImages ? baseImages : baseLabels;
    const headerLength = mutateImages ? 16 : 8;
    let bytes: Uint8Array = base.slice();
    const kind = int(7);
    // Most mutations aim at the header, where the loader has decisions to make.
    const at = int(3) === 0 ? int(bytes.length) : int(headerLength + 4);
    if (kind === 0) bytes[at] = nextUint32(rng) & 0xff;
    else if (kind === 1) bytes[at] ^= 1 << int(8);
    else if (kind === 2) bytes = bytes.subarray(0, int(bytes.length));
    else if (kind === 3) bytes = Uint8Array.from([...bytes, ...Array.from({ length: 1 + int(8) }, () => int(256))]);
    else if (kind === 4) bytes = Uint8Array.from([...bytes.subarray(0, at), int(256), ...bytes.subarray(at)]);
    else if (kind === 5) bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1)]);
    else bytes = withU32(bytes, 4 * int(headerLength / 4), interesting[int(interesting.length)]);
    put(mutateImages ? imagesPath : labelsPath, bytes);
    if (mutateImages !== lastMutatedImages) put(mutateImages ? labelsPath : imagesPath, mutateImages ? baseLabels : baseImages);
    lastMutatedImages = mutateImages;
    const what = `trial ${trial} (${mutateImages ? 'images' : 'labels'}, kind ${kind}, at ${at})`;
    let split: ReturnType<typeof loadSplit> | null = null;
    const cause = outcome(() => { split = loadSplit(imagesPath, labelsPath); }, [imagesPath, labelsPath], what);
    if (cause === null) {
      loaded++;
      assert.is(bytes.length, base.length, `${what}: loaded with a changed length`);
      for (let i = 0; i < headerLength; i++) assert.is(bytes[i], base[i], `${what}: loaded with a changed header byte ${i}`);
      const s = split as unknown as ReturnType<typeof loadSplit>;
      assert.is(s.count, 2);
      assert.ok(s.labels.every((l) => l < 10), `${what}: a label above 9 loaded`);
    } else {
      const key = cause.replace(/\d+/g, 'N');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  // The mutations reached most of the loader's refusals, and some loaded (pixel and label values).
  assert.ok(counts.size >= 8, `only ${counts.size} kinds of error: ${[...counts.keys()].join('; ')}`);
  assert.ok(loaded > 50 && loaded < 2000, `${loaded} mutations loaded`);
});

test.run();
