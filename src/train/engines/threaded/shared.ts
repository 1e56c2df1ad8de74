// The memory the threaded engine's threads share, laid out the same way by thread 0 (engine.ts) and
// by each worker (worker.ts): control words, then the flat parameters and the per-step data.

import type { ModelShape } from '../../../nn/model.ts';
import { KERNELS, arenaBytes, type Kernels, type KernelSet, type SharedViews } from './slice.ts';
import type { Block } from './blocks.ts';
import { HEAP, regionArena, type Arena } from '../../../tensor/simd/arena.ts';
import { makeMemory, simdKernels } from '../../../tensor/simd/simd.ts';
import type { AdamConfig } from '../../../tensor/adam.ts';
import type { Rng } from '../../../tensor/rng.ts';
import { CTL } from './barrier.ts';

// A failing worker's message, as UTF-8 bytes in shared memory: thread 0 reads it the moment the
// barrier breaks, with no message to wait for (on a web page it could not receive one mid-step).
const FAILURE_BYTES = 512;

// What a worker needs to rebuild the same views over the same memory.
export interface WorkerSetup {
  buffer: SharedArrayBuffer;
  memory: WebAssembly.Memory | null; // with simd kernels, the memory whose buffer is `buffer`
  shape: ModelShape;
  maxBatch: number;
  threads: number;
  t: number;
  kernels: KernelSet;
  adam: AdamConfig;
  dropoutRng: Rng; // the dropout generator's starting state, the same in every thread
}

// What thread 0 posts a worker, through the host, when training moves to another image set.
export interface ImageSet {
  id: number; // CTL.imageSet's value for it
  images: Uint8Array; // (count, IN) pixel bytes in a SharedArrayBuffer
}

// Lays the shared memory out (8-byte aligned pieces); with buffer null, only measures it.
export function sharedViews(buffer: ArrayBufferLike | null, shape: ModelShape, maxBatch: number, threads: number): { views: SharedViews; ctl: Int32Array; bytes: number } {
  const { inputs: IN, hidden: H, classes: C } = shape;
  const P = IN * H + H + H * C + C;
  let at = 0;
  const take = <T>(make: (b: ArrayBufferLike, offset: number, n: number) => T, n: number, size: number): T => {
    const offset = at;
    at += Math.ceil((n * size) / 8) * 8;
    return buffer === null ? (null as T) : make(buffer, offset, n);
  };
  const f32 = (n: number) => take((b, o, k) => new Float32Array(b, o, k), n, 4);
  const i32 = (n: number) => take((b, o, k) => new Int32Array(b, o, k), n, 4);
  const ctl = i32(CTL.length);
  const views: SharedViews = {
    params: f32(P), grads: f32(P), m: f32(P), v: f32(P),
    x: f32(maxBatch * IN), y: take((b, o, k) => new Uint8Array(b, o, k), maxBatch, 1),
    examples: i32(maxBatch), next: i32(maxBatch),
    partials: f32(threads * maxBatch * C),
    dpreact: f32(maxBatch * H), dpreact64: take((b, o, k) => new Float64Array(b, o, k), maxBatch * H, 8),
    lit: take((b, o, k) => new Uint8Array(b, o, k), threads * IN, 1),
    failure: take((b, o, k) => new Uint8Array(b, o, k), FAILURE_BYTES, 1),
    ctl,
  };
  return { views, ctl, bytes: at };
}

// Called by a failing thread before it breaks the barrier: the first to claim the text writes it.
export function writeFailure(views: SharedViews, t: number, message: string): void {
  if (Atomics.compareExchange(views.ctl, CTL.failureBy, 0, t + 1) !== 0) return;
  const bytes = new TextEncoder().encode(message).subarray(0, FAILURE_BYTES);
  views.failure.fill(0);
  views.failure.set(bytes);
}

// Thread t's failure text, or null when another thread (or nobody) wrote it.
export function readFailure(views: SharedViews, t: number): string | null {
  if (Atomics.load(views.ctl, CTL.failureBy) !== t + 1) return null;
  const bytes = views.failure.slice(); // a copy: TextDecoder refuses shared memory in browsers
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

// The memory of a run with the simd kernels: the shared layout, then each thread's arena (its
// non-zeros, pre-activations and scratch rows), all in one WebAssembly.Memory, shared with threads.
export function simdMemory(shape: ModelShape, maxBatch: number, all: Block[]): WebAssembly.Memory {
  let bytes = Math.ceil(sharedViews(null, shape, maxBatch, all.length).bytes / 16) * 16;
  for (let t = 0; t < all.length; t++) bytes += arenaBytes(shape, maxBatch, all, t);
  return makeMemory(bytes, all.length > 1);
}

// Thread t's kernels, and where its own buffers go: the JS heap, or with simd its arena in the memory.
export function threadKernels(set: KernelSet, memory: WebAssembly.Memory | null, shape: ModelShape, maxBatch: number, all: Block[], t: number): { kernels: Kernels; arena: Arena } {
  if (set !== 'simd') return { kernels: KERNELS[set], arena: HEAP };
  if (memory === null) throw new Error('simd kernels: no WebAssembly.Memory');
  let at = Math.ceil(sharedViews(null, shape, maxBatch, all.length).bytes / 16) * 16;
  for (let u = 0; u < t; u++) at += arenaBytes(shape, maxBatch, all, u);
  const simd = simdKernels(memory);
  const kernels: Kernels = {
    ...KERNELS.fast, name: 'simd',
    layer1Forward: (out, _x, nz, W, B, IN, OUT) => simd.matmulForwardSparse(out, nz, W, B, IN, OUT),
    adamUpdate: simd.adamUpdate, layer1BackwardAdam: simd.sparseBackwardAdam, gradientIn64: false,
  };
  return { kernels, arena: regionArena(memory.buffer, at) };
}
