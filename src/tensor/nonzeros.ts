// The non-zero entries of a (B,N) batch, gathered once per step so the layer-1 products can skip
// the zeros (81% of MNIST pixels). Skipping is exact: a zero input adds nothing to any sum.
// Rows (CSR) feed the forward product, columns (CSC) the weight gradient.
// The indices are 16-bit: the products' index arithmetic (index·OUT + o + 7) then provably fits in
// 32 bits, so V8 leaves out its overflow checks (a training step on one thread takes 0.92 of its
// time with 32-bit indices, `npm run bench:ab`). A batch holds at most 60000 rows: 16 bits suffice.

import { HEAP, type Arena } from './simd/arena.ts';

export interface NonZeros {
  readonly N: number; // columns (784 pixels)
  readonly maxBatch: number;
  readonly rowCount: Int32Array; // (maxBatch) non-zeros in row b
  readonly rowIndex: Uint16Array; // (maxBatch,N) row b's non-zero columns sit in [b*N, b*N + rowCount[b])
  readonly rowValue: Float64Array; // (maxBatch,N) and their values
  readonly colCount: Int32Array; // (N) non-zeros in column i
  readonly colIndex: Uint16Array; // (N,maxBatch) column i's non-zero rows sit in [i*maxBatch, i*maxBatch + colCount[i]), in row order
  readonly colValue: Float64Array; // (N,maxBatch) and their values
}

const MAX_INDEX = 65536; // rows and columns numbered in 16 bits

// In `arena`: on the JS heap, or where the SIMD kernels can read them (simd/arena.ts).
export function makeNonZeros(maxBatch: number, N: number, arena: Arena = HEAP): NonZeros {
  if (maxBatch > MAX_INDEX || N > MAX_INDEX) throw new Error(`makeNonZeros: at most ${MAX_INDEX} rows and columns, not ${maxBatch}x${N}`);
  return {
    N, maxBatch,
    rowCount: arena.i32(maxBatch),
    rowIndex: arena.u16(maxBatch * N),
    rowValue: arena.f64(maxBatch * N),
    colCount: arena.i32(N),
    colIndex: arena.u16(N * maxBatch),
    colValue: arena.f64(N * maxBatch),
  };
}

// Rows b0..b1-1 of inp (B,N). Rows are independent: a batch can be gathered in pieces.
export function gatherRows(nz: NonZeros, inp: Float32Array, b0: number, b1: number): void {
  const { N, rowCount, rowIndex, rowValue } = nz;
  if (b1 > nz.maxBatch || inp.length < b1 * N) throw new Error('gatherRows: rows out of range');
  for (let b = b0; b < b1; b++) {
    const row = b * N;
    let n = row;
    for (let i = 0; i < N; i++) {
      const v = inp[row + i];
      if (v !== 0) { rowIndex[n] = i; rowValue[n] = v; n++; }
    }
    rowCount[b] = n - row;
  }
}

// Fast twin of scaling rows b0..b1-1 of a byte batch (as fillBatch does) and then gatherRows: the
// bytes come four to a 32-bit word (little-endian: pixel 4k is the low byte of word k), so a word of
// four dark pixels, most of them, is skipped with one test. scale[v] is pixel v's value. Row b is
// image b of words, or, given examples, image examples[b] (words then holds a whole data set).
// Within a lit word, every pixel is written at slot n and n moves on only for a non-zero one,
// (v + 255) >> 8 being 1 for v in 1..255 and 0 for 0: no branch to mispredict. (A row's slots have
// room for all N pixels, so the write past the last non-zero stays inside them.)
export function gatherRowsFromBytes(
  nz: NonZeros, words: Uint32Array, scale: Float32Array, b0: number, b1: number, examples: Int32Array | null = null,
): void {
  const { N, rowCount, rowIndex, rowValue } = nz;
  const images = Math.floor(words.length / (N >> 2));
  if (N % 4 !== 0 || b1 > nz.maxBatch || (examples === null && images < b1)) throw new Error('gatherRowsFromBytes: rows out of range');
  for (let b = b0; b < b1; b++) {
    const image = examples === null ? b : examples[b];
    if (image >= images || image < 0) throw new Error(`gatherRowsFromBytes: image ${image} out of range`);
    const row = b * N, w0 = image * (N >> 2);
    let n = row;
    for (let q = 0; q < N >> 2; q++) {
      const w = words[w0 + q];
      if (w === 0) continue;
      const i = 4 * q;
      let v = w & 255;
      rowIndex[n] = i; rowValue[n] = scale[v]; n += (v + 255) >> 8;
      v = (w >>> 8) & 255;
      rowIndex[n] = i + 1; rowValue[n] = scale[v]; n += (v + 255) >> 8;
      v = (w >>> 16) & 255;
      rowIndex[n] = i + 2; rowValue[n] = scale[v]; n += (v + 255) >> 8;
      v = w >>> 24;
      rowIndex[n] = i + 3; rowValue[n] = scale[v]; n += (v + 255) >> 8;
    }
    rowCount[b] = n - row;
  }
}

// The same entries column by column, built from the rows (B of them) already gathered.
export function gatherCols(nz: NonZeros, B: number): void {
  const { N, maxBatch, rowCount, rowIndex, rowValue, colCount, colIndex, colValue } = nz;
  colCount.fill(0);
  for (let b = 0; b < B; b++) {
    const row = b * N, end = row + rowCount[b];
    for (let k = row; k < end; k++) {
      const i = rowIndex[k];
      const slot = i * maxBatch + colCount[i]++;
      colIndex[slot] = b;
      colValue[slot] = rowValue[k];
    }
  }
}
