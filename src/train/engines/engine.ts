// The engine: what the training loop needs from a backend. Three implement it: the single-thread
// teaching engine (cpu.ts), the threaded engine (threaded/) and the gpu.js engine (gpujs/).

import { MNIST_MODEL, type ModelShape } from '../../nn/model.ts';
import type { Split } from '../data/idx.ts';
import type { StepProfile } from '../profile.ts';

// What ran, as the log header, the summary and the run record name it.
export interface BackendInfo {
  name: string; // 'cpu', 'gpujs'
  mode: string; // detail, e.g. 'float32 js, fast kernels'; for gpujs the gpu.js mode that runs ('webasm', 'webgl2', ...)
  threads: number;
  device?: string; // gpujs on WebGPU or WebGL: the adapter or renderer that answered
}

export interface Engine {
  readonly info: BackendInfo;
  readonly shape: ModelShape;
  // One training step on x (B,784), y (B): zero grads, forward with dropout, backward, Adam.
  // Returns the batch's summed loss; `correct` then holds its hit count. A backend whose device
  // answers asynchronously (gpu.js on WebGPU) returns a Promise; the caller awaits only then.
  trainStep(x: Float32Array, y: Uint8Array, B: number): number | Promise<number>;
  // Optional, for engines that fill the batch themselves (the threaded engine does it in parallel,
  // straight from the bytes): trainStep on the examples order[start..start+B) of split.
  trainBatch?(split: Split, order: Uint32Array, start: number, B: number): number;
  // Inference only (no dropout); same return convention.
  evalStep(x: Float32Array, y: Uint8Array, B: number): number | Promise<number>;
  // After evalStep: each row's predicted class (the argmax of its logits) into out[offset..offset+B),
  // for the confusion matrix. Evaluation only; a training step never calls it.
  predictions?(out: Uint8Array, offset: number, B: number): void | Promise<void>;
  readonly correct: number;
  // After trainStep: whether every parameter gradient was finite.
  readonly gradsFinite: boolean;
  // Names the first parameter tensor whose gradient is not finite (for the error message), or null.
  nonFiniteGradient(): string | null;
  // The flat parameters [W1 (IN,H), b1 (H), W2 (H,C), b2 (C)], copied back from wherever they live.
  readParams(): Float32Array | Promise<Float32Array>;
  close(): Promise<void>;
  // With --profile: the engine's time per phase (the loop adds the data phase); otherwise absent or null.
  readonly profile?: StepProfile | null;
}

export interface EngineOptions {
  batchSize: number;
  learningRate: number;
  seed: number;
  profile?: boolean;
  shape?: ModelShape; // the network (--hidden, --dropout); default MNIST_MODEL, the Keras one
}

export function shapeOf(options: EngineOptions): ModelShape {
  return options.shape ?? MNIST_MODEL;
}

// The name of the first tensor holding a NaN or infinity, or null. Only called once training has failed.
export function firstNonFinite(tensors: Record<string, Float32Array>): string | null {
  for (const [name, t] of Object.entries(tensors)) {
    for (let i = 0; i < t.length; i++) if (!Number.isFinite(t[i])) return name;
  }
  return null;
}
