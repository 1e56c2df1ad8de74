// MNIST over HTTP for the page: the four IDX files, gzip-compressed on the wire (data/NAME.gz, 11 MB
// instead of 55), unpacked in the browser with DecompressionStream and validated by the same parser
// as the CLI's. Where the page may share memory, the bytes land in a SharedArrayBuffer so that the
// training threads read the images where they are.

import { DataError } from '../train/errors.ts';
import { FILES, parseIdxImages, parseIdxLabels, pairSplit, type Mnist, type Split } from '../train/data/idx.ts';

export type Progress = (file: string, bytes: number) => void;

export async function fetchIdx(url: string, name: string, progress: Progress): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new DataError(`cannot fetch the data file (${(e as Error).message})`, name);
  }
  if (!response.ok || response.body === null) throw new DataError(`missing data file (HTTP ${response.status})`, name);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    const reader = response.body.pipeThrough(new DecompressionStream('gzip')).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
      progress(name, total);
    }
  } catch (e) {
    throw new DataError(`the file is not valid gzip (${(e as Error).message})`, name);
  }
  if (total === 0) throw new DataError('the file is empty', name);
  const bytes = new Uint8Array(typeof SharedArrayBuffer === 'function' && crossOriginIsolated ? new SharedArrayBuffer(total) : new ArrayBuffer(total));
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.length; }
  return bytes;
}

async function fetchSplit(base: string, images: string, labels: string, progress: Progress): Promise<Split> {
  const [imagesName, labelsName] = [`data/${images}.gz`, `data/${labels}.gz`];
  const parsedImages = parseIdxImages(await fetchIdx(new URL(imagesName, base).href, imagesName, progress), imagesName);
  const parsedLabels = parseIdxLabels(await fetchIdx(new URL(labelsName, base).href, labelsName, progress), labelsName);
  return pairSplit(parsedImages, parsedLabels, imagesName, labelsName);
}

// base: the page's URL; the files are in data/ beside it.
export async function fetchMnist(base: string, progress: Progress): Promise<Mnist> {
  return {
    train: await fetchSplit(base, FILES.trainImages, FILES.trainLabels, progress),
    test: await fetchSplit(base, FILES.testImages, FILES.testLabels, progress),
  };
}
