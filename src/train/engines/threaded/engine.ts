// The threaded CPU engine: T threads (this one plus T-1 workers a host starts: worker_threads in
// Node, Web Workers on a page) train one model in shared memory. How the work is split (see also
// slice.ts and docs/performance.md):
//   - the hidden layer's units (128 in the Keras model) are cut into T contiguous blocks; thread t owns block t: its
//     columns of W1 and b1, its rows of W2 (and the last block owns b2), all contiguous in the flat
//     parameters, with their gradients and Adam moments;
//   - per step, thread 0 writes the batch's example indices and labels (the images themselves sit
//     in shared memory, read in place) | barrier | then every thread: draws its units' columns of the
//     dropout mask (all threads run the same generator over the whole mask and keep their own
//     columns) and gathers the non-zeros of the whole batch for itself, then layer 1 for its units
//     and its share of the logits | barrier | the loss (each thread sums the shares in block order,
//     so all get the same bits), the backward pass for its block, Adam on its own parameters (W1's
//     rows in chunks from a counter per block: a thread done with its own block helps with the
//     other's, see Slice.update) | barrier.
//     Whatever one thread can make for itself in a few microseconds, it does: reading what another
//     core has just written costs a cache miss per 64 bytes.
// Every parameter, gradient and share of the logits is computed once, the same way whichever thread
// computes it (what every thread computes, the logits, loss, mask and non-zeros, each computes
// identically), so a run repeats bit for bit for a given seed and thread count. Only the logits' sum over blocks depends on
// the thread count.

import { RNG_STREAM, type ModelShape } from '../../../nn/model.ts';
import { KERAS_ADAM } from '../../../nn/optimizer.ts';
import { glorotUniform } from '../../../tensor/init.ts';
import { makeRng, type Rng } from '../../../tensor/rng.ts';
import type { AdamConfig } from '../../../tensor/adam.ts';
import { Slice, type KernelSet, type SharedViews } from './slice.ts';
import { blocks, type Block } from './blocks.ts';
import { sharedViews, readFailure, simdMemory, threadKernels, type WorkerSetup } from './shared.ts';
import { type Engine, type EngineOptions, type BackendInfo, firstNonFinite, shapeOf } from '../engine.ts';
import { barrier, BarrierBroken, CTL, COMMAND } from './barrier.ts';
import type { ThreadHost, WorkerThread } from './host.ts';
import { StepProfile } from '../../profile.ts';
import { UserError, EXIT } from '../../errors.ts';
import type { Split } from '../../data/idx.ts';
import { fillBatch, PIXEL_SCALE } from '../../data/batch.ts';
import { argmaxRows } from '../../../tensor/softmax_cross_entropy.ts';

export interface ThreadedOptions extends EngineOptions {
  threads: number;
  kernels: KernelSet;
  profile?: boolean;
}

// Canonical [W1 (IN,H), b1 (H), W2 (H,C), b2 (C)] <-> the blocked layout, one block per thread.
export function copyLayout(canonical: Float32Array, blocked: Float32Array, shape: ModelShape, all: Block[], toBlocked: boolean): void {
  const { inputs: IN, hidden: H, classes: C } = shape;
  const move = (c: number, k: number) => { if (toBlocked) blocked[k] = canonical[c]; else canonical[c] = blocked[k]; };
  for (const { h0, hidden: Ht, offset } of all) {
    for (let i = 0; i < IN; i++) for (let j = 0; j < Ht; j++) move(i * H + h0 + j, offset + i * Ht + j);
    for (let j = 0; j < Ht; j++) move(IN * H + h0 + j, offset + IN * Ht + j);
    for (let j = 0; j < Ht * C; j++) move(IN * H + H + h0 * C + j, offset + IN * Ht + Ht + j);
  }
  const last = all[all.length - 1];
  for (let c = 0; c < C; c++) move(IN * H + H + H * C + c, last.offset + last.size - C + c);
}

// Whether the workers can read these bytes where they are (a page without cross-origin isolation
// has no SharedArrayBuffer at all).
const isShared = (buffer: ArrayBufferLike) => typeof SharedArrayBuffer === 'function' && buffer instanceof SharedArrayBuffer;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1; // pixel 4k is word k's low byte

// How long a thread spins at a barrier before it sleeps (when every thread has a core).
const SPIN_MICROS = 250;

export class ThreadedEngine implements Engine {
  readonly info: BackendInfo;
  readonly shape: ModelShape;
  readonly profile: StepProfile | null;
  gradsFinite = true;
  private readonly slice: Slice;
  private broken = false;
  private readonly x: Float32Array; private readonly y: Uint8Array; // for trainBatch's fallback
  private images: Uint8Array | null = null; // the image set the workers have (shareImages)
  readonly threads: number;
  readonly maxBatch: number;
  private readonly all: Block[];
  private readonly views: SharedViews;
  private readonly ctl: Int32Array;
  private readonly workers: WorkerThread[];

  private constructor(
    shape: ModelShape, threads: number, all: Block[], views: SharedViews, ctl: Int32Array, workers: WorkerThread[],
    kernels: KernelSet, memory: WebAssembly.Memory | null, adam: AdamConfig, maxBatch: number, dropoutRng: Rng, profile: boolean,
  ) {
    this.shape = shape;
    this.threads = threads; this.all = all; this.views = views; this.ctl = ctl; this.workers = workers; this.maxBatch = maxBatch;
    this.info = { name: 'cpu', mode: `float32 js, ${kernels} kernels`, threads };
    const own = threadKernels(kernels, memory, shape, maxBatch, all, 0);
    this.slice = new Slice(this.shape, maxBatch, 0, all, views, own.kernels, adam, PIXEL_SCALE, dropoutRng, own.arena);
    this.x = new Float32Array(maxBatch * this.shape.inputs);
    this.y = new Uint8Array(maxBatch);
    this.profile = profile ? new StepProfile() : null;
  }

  // The host starts the workers. For speed, the command that trains raises V8's inlining budget
  // (package.json's bench script; why: see Slice's constructor).
  static async create(options: ThreadedOptions, host: ThreadHost): Promise<ThreadedEngine> {
    const shape = shapeOf(options);
    // A block holds at least 8 units (the fast kernels' width): a small hidden layer gets fewer threads.
    const threads = Math.max(1, Math.min(options.threads, Math.ceil(shape.hidden / 8)));
    const maxBatch = options.batchSize;
    const adam = { ...KERAS_ADAM, learningRate: options.learningRate };
    const all = blocks(shape, threads);
    // Alone, the thread needs no shared memory (a web page without cross-origin isolation has none).
    const bytes = sharedViews(null, shape, maxBatch, threads).bytes;
    // The simd kernels read only their WebAssembly.Memory: it holds everything, shared by the threads.
    const memory = options.kernels === 'simd' ? simdMemory(shape, maxBatch, all) : null;
    const buffer = memory !== null ? memory.buffer : threads > 1 ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
    const { views, ctl } = sharedViews(buffer, shape, maxBatch, threads);
    initParams(views.params, shape, all, options.seed);
    // Spinning only pays while every thread has a core of its own; 250 us covers the usual waits
    // (including thread 0's turn in the training loop between steps) without burning a time slice
    // when they are long.
    Atomics.store(ctl, CTL.spinMicros, threads <= host.cpuBudget() ? SPIN_MICROS : 0);
    for (let t = 0; t < threads; t++) Atomics.store(ctl, CTL.finiteW1 + t, 1); // nothing non-finite before the first step
    const dropoutRng = makeRng(options.seed, RNG_STREAM.dropout); // each worker gets a copy of its state
    const starting: Promise<WorkerThread>[] = [];
    for (let t = 1; t < threads; t++) {
      const setup: WorkerSetup = { buffer: buffer as SharedArrayBuffer, memory, shape, maxBatch, threads, t, kernels: options.kernels, adam, dropoutRng };
      starting.push(host.start(t, setup));
    }
    const started = await Promise.allSettled(starting);
    const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw failed.reason;
    }
    return new ThreadedEngine(shape, threads, all, views, ctl, workers, options.kernels, memory, adam, maxBatch, dropoutRng, options.profile ?? false);
  }

  get correct(): number {
    return this.slice.result.correct;
  }

  trainStep(x: Float32Array, y: Uint8Array, B: number): number {
    const t0 = this.profile ? performance.now() : 0;
    this.load(x, y, B, COMMAND.train);
    return this.step(B, false, t0);
  }

  // The batch as rows of the image set, which the loader keeps in shared memory: thread 0 writes the
  // B example indices and labels, and every thread reads and scales the pixel bytes itself (see
  // Slice.gather): no copy of the batch, no float batch filled on one thread. The same values as
  // fillBatch followed by trainStep, which is what runs for images outside shared memory (unless
  // this thread is alone and needs to share nothing).
  trainBatch(split: Split, order: Uint32Array, start: number, B: number): number {
    const { images, labels } = split;
    if (!(this.threads === 1 || isShared(images.buffer)) || images.byteOffset % 4 !== 0 || !LITTLE_ENDIAN) {
      fillBatch(this.x, this.y, images, labels, order, start, B);
      return this.trainStep(this.x, this.y, B);
    }
    const t0 = this.profile ? performance.now() : 0;
    this.command(B, COMMAND.train); // checks B and that the workers are alive before anything is posted
    if (this.images !== images) this.shareImages(images); // once per image set, not per batch
    const { examples, y, next } = this.views;
    for (let b = 0; b < B; b++) {
      const example = order[start + b];
      examples[b] = example;
      y[b] = labels[example];
    }
    // The next batch, most likely (Slice.prefetchNext): the next B rows of the same order.
    const nextCount = Math.max(0, Math.min(B, order.length - start - B));
    for (let b = 0; b < nextCount; b++) next[b] = order[start + B + b];
    Atomics.store(this.ctl, CTL.nextCount, nextCount);
    Atomics.store(this.ctl, CTL.fromImages, 1);
    if (this.profile) this.profile.add('data', t0);
    return this.step(B, true, this.profile ? performance.now() : 0);
  }

  // Hands every thread the image set (its buffer is shared, not copied), numbered. Workers pick it up
  // from their port when they see CTL.imageSet move, after the next barrier, and keep the message
  // with that number (an older one, left by a step that never ran, is passed over).
  private shareImages(images: Uint8Array): void {
    this.images = images;
    this.slice.useImages(images);
    const id = Atomics.load(this.ctl, CTL.imageSet) + 1;
    for (const worker of this.workers) worker.post({ id, images });
    Atomics.store(this.ctl, CTL.imageSet, id);
  }

  // The rest of a training step, once the batch is in shared memory.
  private step(B: number, fromImages: boolean, t0: number): number {
    const { slice, profile, threads, ctl } = this;
    this.sync(); // start
    slice.drawMask(B);
    slice.gather(B, fromImages);
    slice.forward(B, true);
    this.sync(); // every block's share of the logits is in
    if (fromImages) slice.prefetchNext();
    if (profile) t0 = profile.add('forward', t0);
    const lossSum = slice.loss(B);
    if (profile) t0 = profile.add('loss', t0);
    slice.backward(B);
    if (profile) t0 = profile.add('backward', t0);
    let finite = slice.update();
    this.sync(); // end: every block's gradients and parameters are done
    for (let t = 1; t < threads; t++) finite = finite && Atomics.load(ctl, CTL.finite + t) === 1;
    this.gradsFinite = finite;
    if (profile) { profile.add('optimizer', t0); profile.steps++; }
    return lossSum;
  }

  evalStep(x: Float32Array, y: Uint8Array, B: number): number {
    const { slice } = this;
    this.load(x, y, B, COMMAND.eval);
    this.sync();
    slice.gather(B);
    slice.forward(B, false);
    this.sync();
    return slice.loss(B);
  }

  // Thread 0's logits of the last evalStep, summed over the blocks as the loss saw them.
  predictions(out: Uint8Array, offset: number, B: number): void {
    argmaxRows(out, offset, this.slice.logits, B, this.shape.classes);
  }

  // With the fast kernels W1's gradient is never stored (see sparseBackwardAdam): each thread says
  // whether the rows it summed (its own block's and any it took over) were finite.
  nonFiniteGradient(): string | null {
    if (!this.slice.finiteW1) return 'W1';
    for (let t = 1; t < this.threads; t++) if (Atomics.load(this.ctl, CTL.finiteW1 + t) === 0) return 'W1';
    const g = new Float32Array(this.views.grads.length);
    copyLayout(g, this.views.grads, this.shape, this.all, false);
    const { inputs: IN, hidden: H, classes: C } = this.shape;
    return firstNonFinite({ W1: g.subarray(0, IN * H), b1: g.subarray(IN * H, IN * H + H), W2: g.subarray(IN * H + H, IN * H + H + H * C), b2: g.subarray(IN * H + H + H * C) });
  }

  readParams(): Float32Array {
    const p = new Float32Array(this.views.params.length);
    copyLayout(p, this.views.params, this.shape, this.all, false);
    return p;
  }

  // Sets the parameters from the canonical [W1, b1, W2, b2] layout (a saved model, for evaluation).
  // Between steps the workers wait at a barrier, so they see the new values at the next step.
  loadParams(canonical: Float32Array): void {
    if (canonical.length !== this.views.params.length) throw new Error(`loadParams: ${canonical.length} values, expected ${this.views.params.length}`);
    copyLayout(canonical, this.views.params, this.shape, this.all, true);
  }

  async close(): Promise<void> {
    if (!this.broken && this.workers.length > 0) {
      Atomics.store(this.ctl, CTL.command, COMMAND.exit);
      try { barrier(this.ctl, this.threads); } catch { /* already broken: terminate below */ }
    }
    this.broken = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private load(x: Float32Array, y: Uint8Array, B: number, command: number): void {
    const { inputs: IN } = this.shape;
    const { x: xs, y: ys } = this.views;
    if (x.length === xs.length) xs.set(x);
    else for (let i = 0; i < B * IN; i++) xs[i] = x[i];
    for (let b = 0; b < B; b++) ys[b] = y[b];
    Atomics.store(this.ctl, CTL.fromImages, 0);
    this.command(B, command);
  }

  private command(B: number, command: number): void {
    if (this.broken) throw new UserError('the worker threads have stopped', EXIT.backend);
    if (B > this.maxBatch) throw new Error(`batch of ${B} exceeds ${this.maxBatch}`);
    Atomics.store(this.ctl, CTL.batch, B);
    Atomics.store(this.ctl, CTL.command, command);
  }

  // A barrier that turns a worker's failure into a one-line error naming its cause.
  private sync(): void {
    try {
      barrier(this.ctl, this.threads);
    } catch (e) {
      if (!(e instanceof BarrierBroken)) throw e;
      this.broken = true;
      const failed = Atomics.load(this.ctl, CTL.failed) - 1;
      const message = failed >= 1 ? readFailure(this.views, failed) : null;
      throw new UserError(`worker thread ${failed >= 1 ? failed : '?'} failed: ${message ?? e.message}`, EXIT.backend);
    }
  }
}

// Glorot init exactly as Model does it (same generator, same order), then into blocks.
function initParams(params: Float32Array, shape: ModelShape, all: Block[], seed: number): void {
  const { inputs: IN, hidden: H, classes: C } = shape;
  const canonical = new Float32Array(params.length);
  const rng = makeRng(seed, RNG_STREAM.init);
  glorotUniform(canonical.subarray(0, IN * H), IN, H, rng);
  glorotUniform(canonical.subarray(IN * H + H, IN * H + H + H * C), H, C, rng);
  copyLayout(canonical, params, shape, all, true);
}
