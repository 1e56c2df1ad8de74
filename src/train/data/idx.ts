// MNIST in IDX files: validate every byte that matters, and keep images as bytes. A host reads the
// files (the Node CLI from disk, the web page over fetch) and hands the bytes in; `path` names the
// file in error messages.
// IDX layout (big-endian): magic (2051 images / 2049 labels), counts and dims, then raw uint8 data.

import { DataError } from '../errors.ts';

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

// One split from its parsed images and labels, which must agree in count.
export function pairSplit(
  images: { data: Uint8Array; count: number }, labels: { data: Uint8Array; count: number }, imagesPath: string, labelsPath: string,
): Split {
  if (images.count !== labels.count) {
    throw new DataError(`${images.count} images but ${labels.count} labels in ${labelsPath}`, imagesPath);
  }
  return { images: images.data, labels: labels.data, count: images.count };
}

export function parseIdxImages(bytes: Uint8Array, path: string): { data: Uint8Array; count: number } {
  if (bytes.length === 0) throw new DataError('the file is empty', path);
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

export function parseIdxLabels(bytes: Uint8Array, path: string): { data: Uint8Array; count: number } {
  if (bytes.length === 0) throw new DataError('the file is empty', path);
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
