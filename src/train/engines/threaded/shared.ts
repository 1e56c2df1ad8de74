// The memory the threaded engine's threads share, laid out the same way by thread 0 (engine.ts) and
// by each worker (worker.ts): control words, then the flat parameters and the per-step data.

import type { ModelShape } from '../../../nn/model.ts';
import type { KernelSet, SharedViews } from './slice.ts';
import type { AdamConfig } from '../../../tensor/adam.ts';
import type { Rng } from '../../../tensor/rng.ts';
import { CTL } from './barrier.ts';

// A failing worker's message, as UTF-8 bytes in shared memory: thread 0 reads it the moment the
// barrier breaks, with no message to wait for (on a web page it could not receive one mid-step).
const FAILURE_BYTES = 512;

// What a worker needs to rebuild the same views over the same memory.
export interface WorkerSetup {
  buffer: SharedArrayBuffer;
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
    examples: i32(maxBatch),
    partials: f32(threads * maxBatch * C),
    dpreact: f32(maxBatch * H),
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
