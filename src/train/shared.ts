// The memory the threaded engine's threads share, laid out the same way by thread 0 (threads.ts) and
// by each worker (worker.ts): control words, then the flat parameters and the per-step data.

import type { MessagePort } from 'node:worker_threads';
import type { ModelShape } from '../nn/model.ts';
import type { KernelSet, SharedViews } from '../nn/slice.ts';
import type { AdamConfig } from '../tensor/adam.ts';
import type { Rng } from '../tensor/rng.ts';
import { CTL } from './barrier.ts';

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
  port: MessagePort; // to thread 0: a failure's message (read synchronously); from it: image sets ({ id, images })
}

// Lays the shared memory out (8-byte aligned pieces); with buffer null, only measures it.
export function sharedViews(buffer: SharedArrayBuffer | null, shape: ModelShape, maxBatch: number, threads: number): { views: SharedViews; ctl: Int32Array; bytes: number } {
  const { inputs: IN, hidden: H, classes: C } = shape;
  const P = IN * H + H + H * C + C;
  let at = 0;
  const take = <T>(make: (b: SharedArrayBuffer, offset: number, n: number) => T, n: number, size: number): T => {
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
    ctl,
  };
  return { views, ctl, bytes: at };
}
