// The gpu.js engine (--backend gpujs): the same network and training step as the CPU engine, run as
// gpu.js kernels (src/tensor/gpujs/) in the mode a host picked (src/node/gpujs.ts in Node; the web
// page's WebGL2, WebGL or cpu). The host hands in the gpu.js library and its GPU object.
//
// Every buffer has the full batch's rows; a short last batch passes its live row count to the loss
// kernels, which give 0 for the stale rows past it, so every backward product ignores them. Shapes
// never change, so no kernel is ever rebuilt. Intermediate kernels run with `pipeline: true`: on
// webgpu and GL their results stay on the device as buffers or textures and feed the next kernel
// directly; on webasm and cpu they are plain arrays. Each step reads back only the per-row loss and
// hit counts, and the two bias gradients (138 values) for the finiteness check.
// webgpu kernels return Promises, so the steps are async; in the other modes `await` costs a microtask.

import type { IKernelRunShortcut, KernelVariable, Input as InputType, GPU as GPUType } from 'gpu.js';
import { Model, RNG_STREAM, type ModelShape } from '../../../nn/model.ts';
import { KERAS_ADAM } from '../../../nn/optimizer.ts';
import { makeRng, type Rng } from '../../../tensor/rng.ts';
import type { AdamConfig } from '../../../tensor/adam.ts';
import { argmaxRows } from '../../../tensor/softmax_cross_entropy.ts';
import {
  matmulForward, matmulBackwardWeight, matmulBackwardInput,
  compressRows, compressColumns, sparseMatmulForward, sparseMatmulBackwardWeight,
} from '../../../tensor/gpujs/matmul.ts';
import { biasForward, biasBackward } from '../../../tensor/gpujs/bias.ts';
import { biasReluForward, reluBackward } from '../../../tensor/gpujs/relu.ts';
import { drawDropoutMask, dropoutForward, dropoutBackward } from '../../../tensor/gpujs/dropout.ts';
import { softmaxCrossEntropyForward, softmaxCrossEntropyBackward } from '../../../tensor/gpujs/softmax_cross_entropy.ts';
import { adamStepSize, adamFirstMoment, adamSecondMoment, adamParam, copyValue } from '../../../tensor/gpujs/adam.ts';
import { type BackendInfo, type Engine, type EngineOptions, firstNonFinite, shapeOf } from '../engine.ts';

type Value = KernelVariable;
type Kernel = IKernelRunShortcut;
export type GpuJs = typeof import('gpu.js');

// What a host hands the engine: gpu.js, a GPU object in the mode it picked, and where to say things.
export interface GpuJsSetup {
  lib: GpuJs;
  gpu: GPUType;
  mode: string; // the mode the GPU object runs: 'webgpu', 'headlessgl', 'webgl2', 'webgl', 'webasm', 'cpu'
  device?: string; // the adapter or renderer that answered
  warn(line: string): void; // kernels that gpu.js quietly runs in another mode
  afterDestroy?(): Promise<void>; // the host's own clean-up once the GPU object is destroyed
}

// Nonzero entries of a matrix as lists, plus the gpu.js inputs over them (made once).
interface Compressed {
  values: Float32Array;
  index: Float32Array;
  count: Float32Array;
  inputs: [InputType, InputType, Float32Array];
}

// One parameter matrix with its Adam moments, wherever they live (host arrays at first, then kernel results).
interface Param {
  name: string;
  rows: number;
  cols: number;
  value: Value;
  m: Value;
  v: Value;
  firstMoment: Kernel;
  secondMoment: Kernel;
  update: Kernel;
  copy: Kernel;
}

export class GpuJsEngine implements Engine {
  readonly info: BackendInfo;
  readonly shape: ModelShape;
  correct = 0;
  gradsFinite = true;
  private badGradient: string | null = null;
  private readonly params: Param[];
  private readonly mask: Float32Array; // (B,H), drawn on the CPU each step
  private readonly labels: Float32Array; // (B) the batch's labels as floats, which every mode uploads alike
  private readonly maskInput: InputType;
  // The batch's nonzero pixels, by row (B,IN) and by column (IN,B) (see compressRows in src/tensor/gpujs/matmul.ts).
  private readonly byRow: Compressed;
  private readonly byColumn: Compressed;
  private step = 0;
  private onDevice = false;
  private readonly k: Record<string, Kernel>;
  // The step's activations and gradients, as the kernels returned them.
  private h1: Value | null = null;
  private hidden: Value | null = null;
  private logits: Value | null = null;
  private readonly grads: Value[] = [0, 0, 0, 0];
  readonly mode: string;
  private readonly setup: GpuJsSetup;
  private readonly batchSize: number;
  private readonly adam: AdamConfig;
  private readonly dropoutRng: Rng;

  constructor(setup: GpuJsSetup, options: EngineOptions) {
    const { lib, gpu, mode, device } = setup;
    this.shape = shapeOf(options);
    const { inputs: IN, hidden: H, classes: C } = this.shape;
    const B = options.batchSize;
    const seed = options.seed;
    this.setup = setup;
    this.mode = mode;
    this.batchSize = B;
    this.adam = { ...KERAS_ADAM, learningRate: options.learningRate };
    this.dropoutRng = makeRng(seed, RNG_STREAM.dropout);
    const adam = this.adam;
    this.info = { name: 'gpujs', mode, threads: 1, ...(device ? { device } : {}) };
    // gpu.js's .d.ts types Input's values as number[]; a Float32Array is what it is fastest with.
    const input = (values: Float32Array, size: [number, number]) => new lib.Input(values as unknown as number[], size);
    const make = (fn: unknown, output: number[], constants: Record<string, number> = {}, pipeline = true, immutable = false): Kernel =>
      gpu.createKernel(fn as never, { output, constants, pipeline, immutable, tactic: 'precision' } as never) as unknown as Kernel;
    this.k = {
      matmul1: make(sparseMatmulForward, [H, B], { IN }),
      biasRelu1: make(biasReluForward, [H, B]),
      dropout: make(dropoutForward, [H, B]),
      matmul2: make(matmulForward, [C, B], { IN: H }),
      bias2: make(biasForward, [C, B]),
      loss: make(softmaxCrossEntropyForward, [2, B], { C }, false),
      dlogits: make(softmaxCrossEntropyBackward, [C, B], { C }),
      dW2: make(matmulBackwardWeight, [C, H], { B }),
      db2: make(biasBackward, [C, 1], { B }),
      dhidden: make(matmulBackwardInput, [H, B], { OUT: C }),
      dropoutBack: make(dropoutBackward, [H, B]),
      reluBack: make(reluBackward, [H, B]),
      dW1: make(sparseMatmulBackwardWeight, [H, IN], { B }),
      db1: make(biasBackward, [H, 1], { B }),
    };

    // Glorot init exactly as the CPU engine does it, from the same seed.
    const init = new Model(this.shape, 1, seed);
    const adamConstants = { beta1: adam.beta1, beta2: adam.beta2, epsilon: adam.epsilon };
    const param = (name: string, rows: number, cols: number, values: Float32Array): Param => ({
      name, rows, cols,
      value: input(values.slice(), [cols, rows]),
      m: input(new Float32Array(rows * cols), [cols, rows]),
      v: input(new Float32Array(rows * cols), [cols, rows]),
      // A moment or parameter kernel reads its own previous result: immutable gives each call a fresh output.
      firstMoment: make(adamFirstMoment, [cols, rows], adamConstants, true, true),
      secondMoment: make(adamSecondMoment, [cols, rows], adamConstants, true, true),
      update: make(adamParam, [cols, rows], adamConstants, true, true),
      copy: make(copyValue, [cols, rows], {}, true, true),
    });
    this.params = [
      param('W1', IN, H, init.W1), param('b1', 1, H, init.b1), param('W2', H, C, init.W2), param('b2', 1, C, init.b2),
    ];
    this.mask = new Float32Array(B * H);
    this.labels = new Float32Array(B);
    this.maskInput = input(this.mask, [H, B]);
    const compressed = (rows: number, cols: number): Compressed => {
      const values = new Float32Array(rows * cols), index = new Float32Array(rows * cols), count = new Float32Array(rows);
      return { values, index, count, inputs: [input(values, [cols, rows]), input(index, [cols, rows]), count] };
    };
    this.byRow = compressed(B, IN);
    this.byColumn = compressed(IN, B);
  }

  // gpu.js compiles a kernel for the kind of each argument at its first call: in WebGL, a kernel first
  // given a host array (an Input) fails when later given a texture. So, before any step, every
  // parameter and moment goes to the device as a kernel's result, the kind every later step passes.
  private async toDevice(): Promise<void> {
    for (const p of this.params) {
      p.value = (await p.copy(p.value)) as Value;
      p.m = (await p.copy(p.m)) as Value;
      p.v = (await p.copy(p.v)) as Value;
    }
    this.onDevice = true;
  }

  // The forward pass up to the logits, into this.h1, this.hidden, this.logits; `training` applies dropout.
  private async forward(x: Float32Array, B: number, training: boolean): Promise<void> {
    if (!this.onDevice) await this.toDevice();
    const { k } = this;
    const [W1, b1, W2, b2] = this.params;
    const { values, index, count, inputs } = this.byRow;
    compressRows(values, index, count, x, B, this.batchSize, this.shape.inputs);
    this.h1 = (await k.biasRelu1(await k.matmul1(inputs[0], inputs[1], inputs[2], W1.value), b1.value)) as Value;
    this.hidden = training ? (await k.dropout(this.h1, this.maskInput)) as Value : this.h1;
    this.logits = (await k.bias2(await k.matmul2(this.hidden, W2.value), b2.value)) as Value;
  }

  // Sums the loss kernel's per-row [loss, hit] over the live rows; sets this.correct.
  private async lossAndHits(logits: Value, y: Uint8Array, B: number): Promise<number> {
    for (let b = 0; b < this.batchSize; b++) this.labels[b] = b < B ? y[b] : 0;
    const rows = (await this.k.loss(logits, this.labels, B)) as Float32Array[];
    let lossSum = 0;
    let correct = 0;
    for (let b = 0; b < B; b++) {
      lossSum += rows[b][0];
      correct += rows[b][1];
    }
    this.correct = correct;
    return lossSum;
  }

  async trainStep(x: Float32Array, y: Uint8Array, B: number): Promise<number> {
    const { k } = this;
    const W2 = this.params[2];
    drawDropoutMask(this.mask, this.shape.dropoutRate, B * this.shape.hidden, this.dropoutRng);
    await this.forward(x, B, true);
    const lossSum = await this.lossAndHits(this.logits!, y, B);

    // Gradients in the parameters' order: [dW1, db1, dW2, db2].
    const { grads } = this;
    const dlogits = await k.dlogits(this.logits!, this.labels, B);
    grads[2] = (await k.dW2(dlogits, this.hidden!)) as Value;
    grads[3] = (await k.db2(dlogits)) as Value;
    const dhidden = await k.dhidden(dlogits, W2.value);
    const dh1 = await k.reluBack(await k.dropoutBack(dhidden, this.maskInput), this.h1!);
    const { values, index, count, inputs } = this.byColumn;
    compressColumns(values, index, count, x, B, this.batchSize, this.shape.inputs);
    grads[0] = (await k.dW1(dh1, inputs[0], inputs[1], inputs[2])) as Value;
    grads[1] = (await k.db1(dh1)) as Value;

    // db1 sums every row of dh1, which dW1 is built from; db2 does the same for dlogits. So if both
    // are finite (and the loss is), so is every gradient, barring an overflow inside dW1's sums.
    this.gradsFinite = allFinite(await readBack(grads[1])) && allFinite(await readBack(grads[3]));
    if (!this.gradsFinite) this.badGradient = await this.firstNonFiniteGradient(grads);

    this.step++;
    if (this.step === 1) this.warnFallbacks();
    const stepSize = adamStepSize(this.adam, this.step);
    for (let i = 0; i < this.params.length; i++) await this.adamUpdate(this.params[i], grads[i], stepSize);
    return lossSum;
  }

  private async adamUpdate(p: Param, grad: Value, stepSize: number): Promise<void> {
    const m = (await p.firstMoment(p.m, grad)) as Value;
    const v = (await p.secondMoment(p.v, grad)) as Value;
    const value = (await p.update(p.value, m, v, stepSize)) as Value;
    release(p.m); release(p.v); release(p.value);
    p.m = m; p.v = v; p.value = value;
  }

  async evalStep(x: Float32Array, y: Uint8Array, B: number): Promise<number> {
    await this.forward(x, B, false);
    return this.lossAndHits(this.logits!, y, B);
  }

  // The last evalStep's logits, read back from the device (evaluation only: one read a batch).
  async predictions(out: Uint8Array, offset: number, B: number): Promise<void> {
    const rows = (await readBack(this.logits!)) as ArrayLike<number>[];
    for (let b = 0; b < B; b++) argmaxRows(out, offset + b, rows[b], 1, this.shape.classes);
  }

  // gpu.js quietly runs a kernel it cannot compile for the mode in its cpu mode instead. Each
  // kernel's mode after it has run, and any that differ, named on stderr once.
  kernelModes(): Record<string, string> {
    const modes: Record<string, string> = {};
    const add = (name: string, kernel: Kernel) => {
      const inner = (kernel as unknown as { kernel?: { constructor: { mode: string }; fallbackReason?: string | null } }).kernel;
      modes[name] = inner ? inner.constructor.mode + (inner.fallbackReason ? ` (${inner.fallbackReason})` : '') : 'not built';
    };
    for (const [name, kernel] of Object.entries(this.k)) add(name, kernel);
    for (const p of this.params) {
      add(`${p.name}.firstMoment`, p.firstMoment); add(`${p.name}.secondMoment`, p.secondMoment); add(`${p.name}.update`, p.update);
    }
    return modes;
  }

  private warnFallbacks(): void {
    // GL kernels call their mode 'gpu'; a kernel that fell back says 'cpu', with its reason.
    const off = Object.entries(this.kernelModes()).filter(([, m]) => m.includes('(') || (m.startsWith('cpu') && this.mode !== 'cpu'));
    if (off.length > 0) this.setup.warn(`${off.length} kernel(s) not running in ${this.mode}: ${off.map(([n, m]) => `${n}: ${m}`).join('; ')}`);
  }

  nonFiniteGradient(): string | null {
    return this.badGradient;
  }

  private async firstNonFiniteGradient(grads: Value[]): Promise<string | null> {
    const tensors: Record<string, Float32Array> = {};
    for (let i = 0; i < grads.length; i++) tensors[this.params[i].name] = flat(await readBack(grads[i]));
    return firstNonFinite(tensors);
  }

  // The flat parameters [W1 (IN,H), b1 (H), W2 (H,C), b2 (C)], read back from the device.
  async readParams(): Promise<Float32Array> {
    const parts: Float32Array[] = [];
    for (const p of this.params) parts.push(flat(await readBack(p.value)));
    const out = new Float32Array(parts.reduce((n, part) => n + part.length, 0));
    let offset = 0;
    for (const part of parts) { out.set(part, offset); offset += part.length; }
    return out;
  }

  async close(): Promise<void> {
    await this.setup.gpu.destroy();
    await this.setup.afterDestroy?.();
  }
}

// A kernel result as host numbers: textures and WebGPU buffers are read back, arrays pass through.
async function readBack(value: Value): Promise<ArrayLike<number> | ArrayLike<number>[]> {
  const v = value as unknown as { toArray?: () => unknown; value?: unknown };
  if (typeof v.toArray === 'function') return (await v.toArray()) as Float32Array[];
  if (v.value !== undefined && !ArrayBuffer.isView(value)) return v.value as Float32Array; // an Input
  return value as unknown as Float32Array[];
}

function flat(rowsOrFlat: ArrayLike<number> | ArrayLike<number>[]): Float32Array {
  const rows = rowsOrFlat as ArrayLike<number>[];
  if (rows.length === 0 || typeof rows[0] === 'number') return Float32Array.from(rowsOrFlat as ArrayLike<number>);
  const out = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
  let offset = 0;
  for (const r of rows) { out.set(r, offset); offset += r.length; }
  return out;
}

function allFinite(rowsOrFlat: ArrayLike<number> | ArrayLike<number>[]): boolean {
  const rows = (typeof (rowsOrFlat as ArrayLike<number>)[0] === 'number' ? [rowsOrFlat] : rowsOrFlat) as ArrayLike<number>[];
  let poison = 0; // g·0 is 0 for finite g, NaN otherwise (as in adam.ts)
  for (const r of rows) for (let i = 0; i < r.length; i++) poison += r[i] * 0;
  return poison === 0;
}

// Frees a texture or WebGPU buffer that is no longer needed; host arrays are left to the GC.
function release(value: Value): void {
  const v = value as unknown as { delete?: () => void };
  if (typeof v.delete === 'function') v.delete();
}
