// One thread's share of the network. The hidden units (128 in the Keras model) are cut into T contiguous blocks, one per
// thread; block t owns its columns of W1 and b1, its rows of W2, and (the last block) b2. Its
// parameters are contiguous in the flat buffer, [W1_t (IN,Ht), b1_t (Ht), W2_t (Ht,C)] (+ b2), so
// every kernel call is a plain call on views, and the thread runs Adam on its own range (W1's rows
// excepted: any thread may update them, see update()).
// Each parameter, gradient and share of the logits is computed once, the same way by whichever
// thread (the logits, loss, dropout mask and non-zeros every thread computes for itself,
// identically), so a run repeats bit for bit.

import { matmulForward, matmulBackward, matmulForwardFast, matmulBackwardFast, matmulForwardSparse, matmulBackwardSparse } from '../../../tensor/matmul.ts';
import { biasBackward, biasForward } from '../../../tensor/bias.ts';
import { biasReluDropoutForward, reluDropoutBackward, sparseBackwardAdam } from '../../../tensor/fused.ts';
import { softmaxCrossEntropyForward, softmaxCrossEntropyBackward, type LossResult } from '../../../tensor/softmax_cross_entropy.ts';
import { adamUpdate, adamUpdateFast, type AdamConfig } from '../../../tensor/adam.ts';
import { type NonZeros, makeNonZeros, gatherRows, gatherRowsFromBytes, gatherCols } from '../../../tensor/nonzeros.ts';
import type { Rng } from '../../../tensor/rng.ts';
import { dropoutMaskColumns } from '../../../tensor/dropout.ts';
import type { ModelShape } from '../../../nn/model.ts';
import type { Block } from './blocks.ts';
import { CTL } from './barrier.ts';
import { HEAP, regionArena, type Arena } from '../../../tensor/simd/arena.ts';

export type KernelSet = 'naive' | 'fast' | 'simd'; // simd: WebAssembly twins over a WebAssembly.Memory (shared.ts, kernelsFor)

// The twins a run uses. Layer 1 takes both the dense batch and its gathered non-zeros; each set reads one.
export interface Kernels {
  name: KernelSet;
  sparse: boolean; // whether the batch's non-zeros must be gathered
  layer1Forward(out: Float32Array, x: Float32Array, nz: NonZeros, W: Float32Array, B: number, IN: number, OUT: number): void;
  layer1Backward(dW: Float32Array, dout: Float32Array, x: Float32Array, nz: NonZeros, W: Float32Array, B: number, IN: number, OUT: number): void;
  matmulForward: typeof matmulForward;
  matmulBackward: typeof matmulBackward;
  adamUpdate: typeof adamUpdate;
  // Layer 1's weight gradient fused with its Adam step (then layer1Backward is not called), or null.
  layer1BackwardAdam: typeof sparseBackwardAdam | null;
  // Whether the fused step reads layer 1's output gradient from a float64 copy (dpreact64): its
  // multiply-adds then skip a float32 -> float64 conversion each (npm run bench:ab: 0.987).
  gradientIn64: boolean;
}

export const KERNELS: Record<'naive' | 'fast', Kernels> = {
  naive: {
    name: 'naive', sparse: false,
    layer1Forward: (out, x, _nz, W, B, IN, OUT) => matmulForward(out, x, W, B, IN, OUT),
    layer1Backward: (dW, dout, x, _nz, W, B, IN, OUT) => matmulBackward(null, dW, dout, x, W, B, IN, OUT),
    matmulForward, matmulBackward, adamUpdate, layer1BackwardAdam: null, gradientIn64: false,
  },
  fast: {
    name: 'fast', sparse: true,
    layer1Forward: (out, _x, nz, W, B, IN, OUT) => matmulForwardSparse(out, nz, W, B, IN, OUT),
    layer1Backward: (dW, dout, _x, nz, _W, B, IN, OUT) => matmulBackwardSparse(dW, dout, nz, B, IN, OUT),
    matmulForward: matmulForwardFast, matmulBackward: matmulBackwardFast, adamUpdate: adamUpdateFast,
    layer1BackwardAdam: sparseBackwardAdam, gradientIn64: true,
  },
};

// Views over memory shared by all threads (a SharedArrayBuffer in the threaded engine). Only what
// one thread writes and others read is here: the rest (the batch's non-zeros, the dropout mask) each
// thread makes for itself, because reading data another core has just written costs a cache miss
// per 64 bytes, more than making it again.
export interface SharedViews {
  params: Float32Array; grads: Float32Array; m: Float32Array; v: Float32Array; // flat, blocked layout
  x: Float32Array; // (maxBatch, IN) the batch
  y: Uint8Array; // (maxBatch)
  examples: Int32Array; // (maxBatch) the batch as indices into the shared image set (see ThreadedEngine.trainBatch)
  next: Int32Array; // (maxBatch) the likely next batch, the same way (CTL.nextCount of them; see prefetchNext)
  partials: Float32Array; // (T, maxBatch, C) each block's share of the logits
  // Each block's gradient at layer 1's input, (maxBatch, Ht) at maxBatch·h0, and its pixels lit so
  // far, (IN) at t·IN: shared so that a thread done with its own W1 rows can update another block's
  // (see update).
  dpreact: Float32Array; // (maxBatch, H) in blocks
  dpreact64: Float64Array; // (maxBatch, H) the same values as float64, for kernels with gradientIn64
  lit: Uint8Array; // (T, IN)
  failure: Uint8Array; // a failing worker's message (shared.ts, writeFailure)
  ctl: Int32Array; // the control words (barrier.ts's CTL)
}

// The W1 rows of one block, as update() hands them out between threads (CHUNK rows at a time).
interface W1Block {
  W1: Float32Array; m: Float32Array; v: Float32Array; // (IN,Ht)
  dpreact: Float32Array | Float64Array; // (maxBatch,Ht) shared.dpreact's or, with gradientIn64, dpreact64's
  lit: Uint8Array; // (IN)
  gradRow: Float32Array; // (Ht) this thread's scratch for this block
  Ht: number;
}

// Rows of W1 per claim: enough work to amortize the atomic add (npm run bench:ab measures other sizes),
// few enough that a thread finishing early finds work left to take.
const CHUNK = 16;

export class Slice {
  readonly W1: Float32Array; readonly b1: Float32Array; readonly W2: Float32Array; readonly b2: Float32Array | null;
  readonly dW1: Float32Array; readonly db1: Float32Array; readonly dW2: Float32Array; readonly db2: Float32Array | null;
  readonly mask: Float32Array; // (maxBatch, Ht) this block's columns of the dropout mask
  private readonly ownX: Float32Array; // (maxBatch, IN) naive kernels only: this thread's scaling of the batch's bytes
  private input: Float32Array; // (maxBatch, IN) the batch as floats for the naive kernels: shared.x or ownX
  private imageWords: Uint32Array = new Uint32Array(0); // the shared image set, four pixel bytes to a word (useImages)
  prefetchedSum = 0; // what prefetchNext read, kept so that its reads are not optimized away
  readonly partial: Float32Array; // (maxBatch, C) this block's Σ_h hidden·W2 (+ b2 for the last block)
  readonly preact: Float32Array; readonly hidden: Float32Array; readonly dhidden: Float32Array; readonly dpreact: Float32Array; // (maxBatch, Ht)
  readonly logits: Float32Array; readonly probs: Float32Array; readonly dlogits: Float32Array; // (maxBatch, C)
  readonly nz: NonZeros;
  readonly pBlock: Float32Array; readonly gBlock: Float32Array; readonly mBlock: Float32Array; readonly vBlock: Float32Array; // this block's range
  readonly pRest: Float32Array; readonly gRest: Float32Array; readonly mRest: Float32Array; readonly vRest: Float32Array; // the same, past W1_t
  readonly mW1: Float32Array; readonly vW1: Float32Array; // W1_t's moments
  readonly lit: Uint8Array; // (IN) whether pixel i has been lit in a training batch (sparseBackwardAdam)
  // The step's passes are closures over this thread's views, made once by the constructor (why: see
  // there).
  // Layer 1 for this block (bias, ReLU and dropout fused), then this block's share of the logits.
  // When training, also indexes the batch by column for the backward pass.
  readonly forward: (B: number, training: boolean) => void;
  // Gradients of this block's parameters (zeroed first; the kernels accumulate). With a fused
  // layer-1 kernel, W1_t's gradient is left to update(), which sums it row by row as it applies
  // Adam; dW1 then stays zero.
  readonly backward: (B: number) => void;
  private readonly w1Rows: ((step: number) => boolean)[]; // per block u: claims and updates its W1 rows (update())
  finiteW1 = true; // with the fused kernel, whether the W1 gradient rows this thread last summed (any block's) were finite (they are not stored in grads)
  private batch = 0; // rows of the step under way, from backward() to update()
  readonly result: LossResult = { lossSum: 0, correct: 0 };
  readonly Ht: number;
  step = 0;
  readonly shape: ModelShape; readonly maxBatch: number; readonly t: number; readonly all: Block[];
  readonly shared: SharedViews; readonly kernels: Kernels; readonly adam: AdamConfig;
  readonly pixelScale: Float32Array; // pixelScale[v]: the value of a pixel byte v (batch.ts's PIXEL_SCALE)
  private readonly dropoutRng: Rng; // every thread's starts in the same state (RNG_STREAM.dropout's)

  constructor(
    shape: ModelShape, maxBatch: number, t: number, all: Block[], shared: SharedViews, kernels: Kernels,
    adam: AdamConfig, pixelScale: Float32Array, dropoutRng: Rng, arena: Arena = HEAP,
  ) {
    this.shape = shape; this.maxBatch = maxBatch; this.t = t; this.all = all; this.shared = shared;
    this.kernels = kernels; this.adam = adam; this.pixelScale = pixelScale; this.dropoutRng = dropoutRng;
    const { inputs: IN, classes: C } = shape;
    const block = all[t];
    const Ht = (this.Ht = block.hidden);
    const last = t === all.length - 1;
    const views = (buf: Float32Array): Float32Array[] => {
      let at = block.offset;
      return [IN * Ht, Ht, Ht * C, last ? C : 0].map((n) => buf.subarray(at, (at += n)));
    };
    let b2: Float32Array, db2: Float32Array;
    [this.W1, this.b1, this.W2, b2] = views(shared.params);
    [this.dW1, this.db1, this.dW2, db2] = views(shared.grads);
    this.b2 = last ? b2 : null;
    this.db2 = last ? db2 : null;
    this.mask = new Float32Array(maxBatch * Ht);
    this.ownX = new Float32Array(kernels.sparse ? 0 : maxBatch * IN);
    this.input = shared.x;
    this.partial = shared.partials.subarray(t * maxBatch * C, (t + 1) * maxBatch * C);
    // What the kernels write or read besides shared memory comes from the arena, in arenaBytes' order.
    this.preact = arena.f32(maxBatch * Ht);
    this.nz = makeNonZeros(maxBatch, IN, arena);
    const gradRows = all.map(({ hidden }) => arena.f32(hidden));
    [this.hidden, this.dhidden] = [0, 0].map(() => new Float32Array(maxBatch * Ht));
    this.dpreact = shared.dpreact.subarray(maxBatch * block.h0, maxBatch * (block.h0 + Ht));
    [this.logits, this.probs, this.dlogits] = [0, 0, 0].map(() => new Float32Array(maxBatch * C));
    [this.pBlock, this.gBlock, this.mBlock, this.vBlock] = [shared.params, shared.grads, shared.m, shared.v]
      .map((buf) => buf.subarray(block.offset, block.offset + block.size));
    [this.pRest, this.gRest, this.mRest, this.vRest] = [this.pBlock, this.gBlock, this.mBlock, this.vBlock].map((buf) => buf.subarray(IN * Ht));
    [this.mW1, this.vW1] = [this.mBlock, this.vBlock].map((buf) => buf.subarray(0, IN * Ht));
    const w1Blocks: W1Block[] = all.map(({ h0, hidden, offset }, u) => ({
      W1: shared.params.subarray(offset, offset + IN * hidden), m: shared.m.subarray(offset, offset + IN * hidden),
      v: shared.v.subarray(offset, offset + IN * hidden),
      dpreact: (kernels.gradientIn64 ? shared.dpreact64 : shared.dpreact).subarray(maxBatch * h0, maxBatch * (h0 + hidden)),
      lit: shared.lit.subarray(u * IN, (u + 1) * IN), gradRow: gradRows[u], Ht: hidden,
    }));
    this.lit = w1Blocks[t].lit;
    // Why closures: where a call site has only ever called one closure, V8 inlines it and treats what
    // it captured with const as constants; the kernels, inlined in turn, then run without checking
    // each array's type and reloading its length and data pointer on every pass of their inner loops.
    // `npm run bench:closures` measures each kernel called both ways, and `npm run bench:ab` a whole
    // step. Kernels this big (600-1000 bytes of bytecode) are inlined only with a larger inlining
    // budget than V8's default (npm run bench raises it on Node's command line; see
    // docs/performance.md). Each thread has one Slice, so its call sites see one closure; with more (tests that
    // build many engines in one process) the code is as it would be with methods.
    this.forward = this.forwardOf();
    this.backward = this.backwardOf();
    this.w1Rows = w1Blocks.map((block, u) => this.w1RowsOf(block, u));
  }

  // This block's columns of the step's dropout mask. Every thread runs the same generator over the
  // whole (B,H) mask, in the single-threaded model's order (row by row, unit by unit, as
  // dropoutForward draws it), and keeps its own units: the same masks for any thread count.
  drawMask(B: number): void {
    dropoutMaskColumns(this.mask, this.shape.dropoutRate, B, this.shape.hidden, this.all[this.t].h0, this.Ht, this.dropoutRng);
  }

  // The image set that batches given as examples index into: (count, IN) pixel bytes, read four at
  // a time (IN is a multiple of 4; little-endian, as ThreadedEngine checks).
  useImages(images: Uint8Array): void {
    this.imageWords = new Uint32Array(images.buffer, images.byteOffset, images.length >> 2);
  }

  // The batch as layer 1 reads it, all B rows (every thread needs them all: it owns units, not
  // rows): its non-zeros for the sparse kernels, its floats for the naive ones. fromImages: the batch
  // is rows shared.examples of the image set, scaled here as fillBatch scales them; else floats in
  // shared.x.
  gather(B: number, fromImages = false): void {
    const { nz, shared } = this;
    if (this.kernels.sparse) {
      if (fromImages) gatherRowsFromBytes(nz, this.imageWords, this.pixelScale, 0, B, shared.examples);
      else gatherRows(nz, shared.x, 0, B);
      return;
    }
    this.input = shared.x;
    if (!fromImages) return;
    const IN = this.shape.inputs, x = (this.input = this.ownX), words = this.imageWords, PIXEL_SCALE = this.pixelScale;
    const images = Math.floor(words.length / (IN >> 2));
    for (let b = 0; b < B; b++) {
      const image = shared.examples[b];
      if (image < 0 || image >= images) throw new Error(`gather: image ${image} out of range`);
      for (let q = 0, from = image * (IN >> 2), to = b * IN; q < IN >> 2; q++, to += 4) {
        const w = words[from + q];
        x[to] = PIXEL_SCALE[w & 255]; x[to + 1] = PIXEL_SCALE[(w >>> 8) & 255];
        x[to + 2] = PIXEL_SCALE[(w >>> 16) & 255]; x[to + 3] = PIXEL_SCALE[w >>> 24];
      }
    }
  }

  // Each step starts with every thread reading B images scattered over the image set (47 MB). So, in
  // the middle of a step, each thread reads one word of each 64-byte line of the images thread 0
  // expects next (the next rows of the same order), into its own core's cache: a core's L2 holds what
  // that core loaded, and the other core would fetch it from there or from memory (with only thread
  // 0 reading ahead, the worker's gather took 38 us a step against thread 0's 20). A wrong guess (a
  // new epoch's order) only costs the reads.
  prefetchNext(): void {
    const { next, ctl } = this.shared, words = this.imageWords, W = this.shape.inputs >> 2;
    const images = Math.floor(words.length / W), count = Atomics.load(ctl, CTL.nextCount);
    let sum = 0;
    for (let b = 0; b < count; b++) {
      const image = next[b];
      if (image < 0 || image >= images) continue; // a guess for another image set
      for (let q = image * W, end = q + W; q < end; q += 16) sum += words[q];
    }
    this.prefetchedSum = sum;
  }

  private forwardOf(): (B: number, training: boolean) => void {
    const { shape: { inputs: IN, classes: C }, Ht, kernels: { layer1Forward, matmulForward, sparse } } = this;
    const { preact, nz, W1, hidden, b1, mask, partial, W2, b2 } = this;
    return (B, training) => {
      layer1Forward(preact, this.input, nz, W1, B, IN, Ht);
      biasReluDropoutForward(hidden, preact, b1, training ? mask : null, B, Ht);
      matmulForward(partial, hidden, W2, B, Ht, C);
      if (b2 !== null) biasForward(partial, b2, B, C);
      if (training && sparse) gatherCols(nz, B);
    };
  }

  // After every block's forward: logits = Σ_t partial_t (in block order, so every thread gets the same
  // bits), then the loss. Every thread computes it; it is 320 exponentials, cheaper than waiting.
  loss(B: number): number {
    const { classes: C } = this.shape;
    const { partials } = this.shared;
    const stride = this.maxBatch * C;
    const T = this.all.length;
    for (let j = 0; j < B * C; j++) {
      let s = partials[j];
      for (let t = 1; t < T; t++) s = Math.fround(s + partials[t * stride + j]);
      this.logits[j] = s;
    }
    softmaxCrossEntropyForward(this.probs, this.logits, this.shared.y, B, C, this.result);
    return this.result.lossSum;
  }

  private backwardOf(): (B: number) => void {
    const { shape: { inputs: IN, classes: C }, Ht, kernels: { matmulBackward, layer1Backward, layer1BackwardAdam }, shared: { ctl, y } } = this;
    const { probs, dlogits, db2, dhidden, dW2, hidden, W2, dpreact, preact, mask, db1, dW1, nz, W1, t } = this;
    const zeroed = layer1BackwardAdam !== null ? this.gRest : this.gBlock; // dW1 stays zero with the fused kernel
    const h0 = this.all[t].h0, dpreact64 = this.kernels.gradientIn64 ? this.shared.dpreact64.subarray(this.maxBatch * h0, this.maxBatch * (h0 + Ht)) : null;
    return (B) => {
      this.batch = B;
      // No thread is still at the last step's chunks (the end barrier), and none takes this step's
      // before the gradient is ready (below): the counter can start over.
      if (layer1BackwardAdam !== null) Atomics.store(ctl, CTL.work + 16 * t, 0);
      zeroed.fill(0);
      softmaxCrossEntropyBackward(dlogits, probs, y, B, C);
      if (db2 !== null) biasBackward(db2, dlogits, B, C);
      dhidden.fill(0, 0, B * Ht);
      matmulBackward(dhidden, dW2, dlogits, hidden, W2, B, Ht, C);
      dpreact.fill(0, 0, B * Ht);
      reluDropoutBackward(dpreact, dhidden, preact, mask, B * Ht);
      biasBackward(db1, dpreact, B, Ht);
      if (dpreact64 !== null) for (let i = 0; i < B * Ht; i++) dpreact64[i] = dpreact[i];
      if (layer1BackwardAdam === null) layer1Backward(dW1, dpreact, this.input, nz, W1, B, IN, Ht);
      else Atomics.store(ctl, CTL.work + 16 * t + 1, this.step + 1); // block t's W1 rows are open to every thread
    };
  }

  // Adam over this block's own parameter range (with the fused kernel: W1 rows of any block, the rest
  // of its own). Returns false if a gradient it met was not finite.
  // With the fused kernel, W1's rows are handed out CHUNK at a time from a counter per block: this
  // thread takes its own block's chunks, then helps with any other block whose gradient is ready.
  // On a shared VM one core at a time can run much slower for hundreds of milliseconds (its
  // neighbours on the host); a fixed split would make every step wait for the slow core, this one lets the other
  // core take over part of its rows. Any thread computes a row exactly as the owner would (the same
  // kernel on the same shared data, its own identical non-zeros), so results do not depend on who did
  // what. finiteW1 covers the rows this thread updated.
  update(): boolean {
    const { kernels, adam, all, t } = this;
    const step = ++this.step;
    if (kernels.layer1BackwardAdam === null) return kernels.adamUpdate(this.pBlock, this.mBlock, this.vBlock, this.gBlock, adam, step, this.pBlock.length);
    const { ctl } = this.shared;
    let finite = this.w1Rows[t](step);
    // Then every other block, as its gradient becomes ready (a block still in its backward pass is
    // microseconds away): sweep them until each has been helped, for at most the barrier's spin time.
    // Helping is optional (an owner always finishes its own rows), so the wait is bounded: a thread
    // that is late, descheduled or gone is left to the end barrier, whose patience handles it.
    const until = performance.now() + Atomics.load(ctl, CTL.spinMicros) / 1000;
    let left = all.length - 1, helped = 0; // helped: bit u set once block u is done with
    while (left > 0 && Atomics.load(ctl, CTL.failed) === 0) {
      for (let k = 1; k < all.length; k++) {
        const u = (t + k) % all.length;
        if ((helped & (1 << u)) !== 0 || Atomics.load(ctl, CTL.work + 16 * u + 1) !== step) continue;
        finite = this.w1Rows[u](step) && finite;
        helped |= 1 << u;
        left--;
      }
      if (performance.now() > until) break;
    }
    this.finiteW1 = finite;
    return kernels.adamUpdate(this.pRest, this.mRest, this.vRest, this.gRest, adam, step, this.pRest.length) && finite;
  }

  // Block u's W1 rows: a closure that claims their chunks until none is left and runs the fused
  // kernel on each; it returns false if a gradient was not finite. (A closure, see the constructor.)
  private w1RowsOf({ W1, m, v, dpreact, lit, gradRow, Ht }: W1Block, u: number): (step: number) => boolean {
    const { shape: { inputs: IN }, adam, nz } = this;
    const rows = this.all.length === 1 ? IN : CHUNK; // alone, in one call
    const fused = this.kernels.layer1BackwardAdam, ctl = this.shared.ctl, counter = CTL.work + 16 * u, chunks = Math.ceil(IN / rows);
    return (step) => {
      let finite = true;
      for (let c = Atomics.add(ctl, counter, 1); c < chunks; c = Atomics.add(ctl, counter, 1)) {
        finite = fused!(W1, m, v, gradRow, dpreact, nz, lit, adam, step, this.batch, IN, Ht, c * rows, Math.min(IN, (c + 1) * rows)) && finite;
      }
      return finite;
    };
  }
}

// The bytes of thread t's arena (the Slice constructor's arena calls, in the same order).
export function arenaBytes(shape: ModelShape, maxBatch: number, all: Block[], t: number): number {
  const arena = regionArena(null, 0);
  arena.f32(maxBatch * all[t].hidden);
  makeNonZeros(maxBatch, shape.inputs, arena);
  for (const { hidden } of all) arena.f32(hidden);
  return arena.used;
}
