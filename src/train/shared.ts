// The memory the threaded engine's threads share, laid out the same way by thread 0 (threads.ts) and
// by each worker (worker.ts): control words, then the flat parameters and the per-step data.

import type { MessagePort } from 'node:worker_threads';
import type { ModelShape } from '../nn/model.ts';
import type { Block, KernelSet, SharedViews } from '../nn/slice.ts';
import type { AdamConfig } from '../tensor/adam.ts';
import { type Rng, fillUniform } from '../tensor/rng.ts';
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
  port: MessagePort; // for the error message, read synchronously by thread 0
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
    pixels: take((b, o, k) => new Uint32Array(b, o, k), (maxBatch * IN) / 4, 4), // IN is a multiple of 4
    masks: f32(maxBatch * H),
    rowCount: i32(maxBatch), rowIndex: i32(maxBatch * IN), rowValue: take((b, o, k) => new Float64Array(b, o, k), maxBatch * IN, 8),
    partials: f32(threads * maxBatch * C),
  };
  return { views, ctl, bytes: at };
}

// Thread t gathers rows [rowStart(B, t), rowStart(B, t + 1)) of a B-row batch.
export function rowStart(B: number, t: number, threads: number): number {
  return Math.floor((B * t) / threads);
}

// Draws the dropout mask for a B-row step from the generator whose state lives in the control words,
// so thread 0 or a worker can draw it: in the single-threaded model's order (row by row, unit by
// unit), into each block's part of `masks`, with the same expression as dropoutForward.
export class MaskDrawer {
  private readonly uniforms: Float64Array; // (maxBatch, H) the step's draws
  private readonly rng: Rng = { a: 0, b: 0, c: 0, d: 0 };

  constructor(private readonly masks: Float32Array, private readonly shape: ModelShape, private readonly all: Block[], private readonly maxBatch: number) {
    this.uniforms = new Float64Array(maxBatch * shape.hidden);
  }

  draw(ctl: Int32Array, B: number): void {
    const { masks, uniforms, rng, all } = this;
    const H = this.shape.hidden, rate = this.shape.dropoutRate, scale = 1 / (1 - rate);
    const at = CTL.dropoutRng;
    rng.a = ctl[at]; rng.b = ctl[at + 1]; rng.c = ctl[at + 2]; rng.d = ctl[at + 3];
    fillUniform(uniforms, B * H, rng);
    ctl[at] = rng.a; ctl[at + 1] = rng.b; ctl[at + 2] = rng.c; ctl[at + 3] = rng.d;
    for (let t = 0; t < all.length; t++) {
      const { h0, hidden: Ht } = all[t];
      for (let b = 0; b < B; b++) {
        const to = this.maxBatch * h0 + b * Ht, from = b * H + h0;
        for (let j = 0; j < Ht; j++) masks[to + j] = uniforms[from + j] < rate ? 0 : scale;
      }
    }
  }

  // After a training step, the last worker draws the next step's mask while thread 0 fills the next
  // batch, guessing that it has as many rows; thread 0 redraws it if not (see ThreadedEngine).
  drawAhead(ctl: Int32Array, B: number): void {
    ctl.copyWithin(CTL.rngSnapshot, CTL.dropoutRng, CTL.dropoutRng + 4);
    this.draw(ctl, B);
    Atomics.store(ctl, CTL.maskRows, B);
  }
}
