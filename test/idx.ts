// Builders for small IDX files, for the loader tests.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FILES } from '../src/train/data/idx.ts';
import { loadMnist, packageDataDir } from '../src/node/mnist_files.ts';
import { tempDir } from './helpers.ts';

export function idxImages(count: number, rows = 28, cols = 28, magic = 2051): Uint8Array {
  const bytes = new Uint8Array(16 + count * rows * cols);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, magic); view.setUint32(4, count); view.setUint32(8, rows); view.setUint32(12, cols);
  for (let i = 16; i < bytes.length; i++) bytes[i] = (i * 37) & 0xff;
  return bytes;
}

export function idxLabels(count: number, magic = 2049): Uint8Array {
  const bytes = new Uint8Array(8 + count);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, magic); view.setUint32(4, count);
  for (let i = 0; i < count; i++) bytes[8 + i] = i % 10;
  return bytes;
}

// A folder with all four files valid (trainCount/testCount examples); overrides replace single files.
export function dataDir(trainCount = 6, testCount = 4, overrides: Partial<Record<keyof typeof FILES, Uint8Array>> = {}): string {
  const dir = tempDir('mnist-ts-');
  const files: Record<keyof typeof FILES, Uint8Array> = {
    trainImages: idxImages(trainCount), trainLabels: idxLabels(trainCount),
    testImages: idxImages(testCount), testLabels: idxLabels(testCount), ...overrides,
  };
  for (const key of Object.keys(FILES) as (keyof typeof FILES)[]) writeFileSync(join(dir, FILES[key]), files[key]);
  return dir;
}

// A folder with the first trainCount/testCount real MNIST examples, for short runs that really learn.
export function mnistDir(trainCount: number, testCount: number): string {
  const data = loadMnist(packageDataDir());
  const dir = tempDir('mnist-ts-');
  const split = (images: Uint8Array, labels: Uint8Array, n: number): [Uint8Array, Uint8Array] => {
    const img = idxImages(n), lab = idxLabels(n);
    img.set(images.subarray(0, n * 784), 16);
    lab.set(labels.subarray(0, n), 8);
    return [img, lab];
  };
  const [trainImages, trainLabels] = split(data.train.images, data.train.labels, trainCount);
  const [testImages, testLabels] = split(data.test.images, data.test.labels, testCount);
  const files = { trainImages, trainLabels, testImages, testLabels };
  for (const key of Object.keys(FILES) as (keyof typeof FILES)[]) writeFileSync(join(dir, FILES[key]), files[key]);
  return dir;
}
