// The trained weights as a file (`--save-model FILE`, read back by `npm run evaluate`; a web page's
// download). This is the format; src/node/model_file.ts reads and writes it on disk.
// Format version 1, every number little-endian:
//   offset 0   8 bytes   magic, the ASCII text "mnist-ts"
//          8   uint32    format version (1)
//         12   uint32    tensor count T (4: W1, b1, W2, b2)
//         16   T times   uint32 rank R (1 or 2), then R uint32 dims (W1 784 128, b1 128, W2 128 10, b2 10)
//          .   float32   the tensors' values in that order, row-major (exactly the model's flat params)
//     end-4   uint32    CRC-32 (the zlib/PNG one) of every byte before it
// For the Keras model that is 56 header bytes + 101,770 floats + 4 = 407,140 bytes. The dims make a
// file self-describing: one trained with --hidden 64 says so (the dropout rate, which inference
// does not use, is not stored).

import { MNIST_MODEL, type ModelShape } from '../../nn/model.ts';
import { DataError } from '../errors.ts';

export const MODEL_MAGIC = 'mnist-ts';
export const MODEL_VERSION = 1;
const MAX_TENSORS = 16; // far above the 4 we write; a larger count can only be a corrupt header
const MAX_DIM = 1 << 24;

export interface Tensor {
  name: string;
  dims: number[];
}

// The model's tensors in the order its flat params buffer holds them.
export function modelTensors(shape: ModelShape): Tensor[] {
  const { inputs: IN, hidden: H, classes: C } = shape;
  return [{ name: 'W1', dims: [IN, H] }, { name: 'b1', dims: [H] }, { name: 'W2', dims: [H, C] }, { name: 'b2', dims: [C] }];
}

// CRC-32 with the reflected polynomial 0xEDB88320, one table lookup per byte.
const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// The whole file as bytes; a test can also hand these to parseModel.
export function encodeModel(shape: ModelShape, params: Float32Array): Uint8Array {
  const tensors = modelTensors(shape);
  const count = tensors.reduce((s, t) => s + t.dims.reduce((a, b) => a * b, 1), 0);
  if (params.length !== count) throw new Error(`encodeModel: ${params.length} params, the shape needs ${count}`);
  const header = 16 + tensors.reduce((s, t) => s + 4 * (1 + t.dims.length), 0);
  const bytes = new Uint8Array(header + 4 * count + 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < MODEL_MAGIC.length; i++) bytes[i] = MODEL_MAGIC.charCodeAt(i);
  view.setUint32(8, MODEL_VERSION, true);
  view.setUint32(12, tensors.length, true);
  let at = 16;
  for (const t of tensors) {
    view.setUint32(at, t.dims.length, true);
    at += 4;
    for (const d of t.dims) { view.setUint32(at, d, true); at += 4; }
  }
  for (let i = 0; i < count; i++) view.setFloat32(header + 4 * i, params[i], true);
  view.setUint32(bytes.length - 4, crc32(bytes, 0, bytes.length - 4), true);
  return bytes;
}

// Checks the file against this shape; any problem is a one-line DataError naming the file.
export function parseModel(bytes: Uint8Array, path: string, shape: ModelShape): Float32Array {
  return readModel(bytes, path, () => shape).params;
}

// Reads a file of any hidden size (784 inputs and 10 classes still required): the shape is the
// file's own, with the reference's dropout rate.
export function parseModelAnyHidden(bytes: Uint8Array, path: string): { shape: ModelShape; params: Float32Array } {
  return readModel(bytes, path, (found) => ({ ...MNIST_MODEL, hidden: found[0]?.length === 2 ? found[0][1] : MNIST_MODEL.hidden }));
}

function readModel(bytes: Uint8Array, path: string, shapeFor: (found: number[][]) => ModelShape): { shape: ModelShape; params: Float32Array } {
  const fail = (cause: string): never => { throw new DataError(cause, path); };
  if (bytes.length === 0) fail('the model file is empty');
  for (let i = 0; i < Math.min(bytes.length, MODEL_MAGIC.length); i++) {
    if (bytes[i] !== MODEL_MAGIC.charCodeAt(i)) fail(`not an mnist-ts model file (it does not start with "${MODEL_MAGIC}")`);
  }
  if (bytes.length < 16) fail(`truncated: ${bytes.length} bytes, shorter than the 16-byte model header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== MODEL_VERSION) fail(`model format version ${version}, this program reads version ${MODEL_VERSION}`);

  // The shapes, read with a bound check before every field.
  const tensorCount = view.getUint32(12, true);
  if (tensorCount === 0 || tensorCount > MAX_TENSORS) fail(`corrupt header: ${tensorCount} tensors`);
  const found: number[][] = [];
  let at = 16;
  const u32 = (): number => {
    if (at + 4 > bytes.length) fail(`truncated: ${bytes.length} bytes, the header is cut short`);
    const v = view.getUint32(at, true);
    at += 4;
    return v;
  };
  let count = 0;
  for (let t = 0; t < tensorCount; t++) {
    const rank = u32();
    if (rank !== 1 && rank !== 2) fail(`corrupt header: tensor ${t + 1} has rank ${rank}`);
    const dims: number[] = [];
    for (let r = 0; r < rank; r++) {
      const d = u32();
      if (d === 0 || d > MAX_DIM) fail(`corrupt header: tensor ${t + 1} has a dimension of ${d}`);
      dims.push(d);
    }
    found.push(dims);
    count += dims.reduce((a, b) => a * b, 1);
  }
  const header = at;
  const expected = header + 4 * count + 4;
  if (bytes.length < expected) fail(`truncated: ${bytes.length} bytes, the shapes in its header need ${expected}`);
  if (bytes.length > expected) fail(`${bytes.length - expected} bytes past the end its header describes (${expected} bytes)`);

  const stored = view.getUint32(bytes.length - 4, true);
  const computed = crc32(bytes, 0, bytes.length - 4);
  if (stored !== computed) {
    fail(`checksum mismatch (stored ${hex(stored)}, computed ${hex(computed)}): the file is corrupt`);
  }

  const shape = shapeFor(found);
  const want = modelTensors(shape);
  if (found.length !== want.length) fail(`wrong shape: the file holds ${found.length} tensors, this model has ${want.length}`);
  want.forEach((t, i) => {
    if (found[i].join('x') !== t.dims.join('x')) fail(`wrong shape: ${t.name} is ${found[i].join('x')} in the file, this model needs ${t.dims.join('x')}`);
  });

  const params = new Float32Array(count);
  for (let i = 0; i < count; i++) params[i] = view.getFloat32(header + 4 * i, true);
  for (let i = 0; i < count; i++) {
    if (!Number.isFinite(params[i])) fail(`weight ${i} is ${params[i]}: a model file holds finite weights only`);
  }
  return { shape, params };
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
