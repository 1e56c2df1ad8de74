// The training loop: shuffle each epoch, step through batches, track Keras' running means,
// and evaluate. Every buffer is made once here; a step only fills and reuses them.

import { type Rng, makeRng, shuffle } from '../tensor/rng.ts';
import { RNG_STREAM } from '../nn/model.ts';
import { fillBatch, fillBatchFast, PIXELS } from './data/batch.ts';
import type { Split } from './data/idx.ts';
import type { Engine } from './engines/engine.ts';
import { UserError, EXIT } from './errors.ts';

export interface EpochStats {
  epoch: number; // 1-based
  val?: EvalStats; // --validation: the test set evaluated after this epoch (its time is not training time)
  steps: number; // steps run (fewer than stepsPerEpoch if the epoch was stopped early)
  seconds: number;
  msPerStep: number;
  loss: number; // mean over the epoch's samples, as Keras reports it
  accuracy: number;
}

export interface EvalStats {
  steps: number;
  seconds: number;
  loss: number;
  accuracy: number;
  confusion?: number[][]; // (classes,classes) counts, row = true class, where the caller asked for predictions
}

// Called after each step with the running means (for the progress bar).
export type StepHook = (step: number, loss: number, accuracy: number) => void;

// The loop hands control to the event loop this often, so signals, timers and messages (a web
// page's Stop) get a turn.
const YIELD_MS = 50;

// Divergence beyond float32. A batch-mean loss above -ln(2^-149) ≈ 103.28 means the geometric mean
// of the probabilities the model gives the right labels is below 2^-149, the smallest positive float32:
// in the model's own precision that probability is 0 and its loss, -ln 0, is infinite. The loss kernel
// still returns a finite number only because it takes the log-sum-exp of the logits in float64, so a
// plain not-finite check never fires (--learning-rate 1e6 gives batch losses near 1e15 for a whole
// epoch without one NaN). No run that reached this limit in our trials recovered beyond chance level.
export const FLOAT32_LOSS_LIMIT = 149 * Math.LN2;

export class Trainer {
  readonly x: Float32Array; // (batchSize, 784) the current batch, scaled
  readonly y: Uint8Array; // (batchSize)
  readonly order: Uint32Array; // training example order, reshuffled every epoch
  private readonly shuffleRng: Rng;
  // When the loop last gave the event loop a turn. Kept across epochs: epochs shorter than YIELD_MS
  // (a small --data set) must not starve a Ctrl-C handler.
  private lastYield = performance.now();
  stopRequested = false; // set from outside (e.g. a signal handler): the epoch ends at the next step boundary
  hint = 'try a smaller --learning-rate'; // ends the divergence message
  readonly engine: Engine;
  readonly train: Split;
  readonly batchSize: number;
  readonly trainCount: number;

  constructor(engine: Engine, train: Split, batchSize: number, trainCount: number, seed: number) {
    this.engine = engine;
    this.train = train;
    this.batchSize = batchSize;
    this.trainCount = trainCount;
    this.x = new Float32Array(batchSize * PIXELS);
    this.y = new Uint8Array(batchSize);
    this.order = new Uint32Array(trainCount);
    this.shuffleRng = makeRng(seed, RNG_STREAM.shuffle);
  }

  get stepsPerEpoch(): number {
    return Math.ceil(this.trainCount / this.batchSize);
  }

  // One epoch over the training set. The order is reset before shuffling, so each epoch's
  // permutation depends only on the seed and the epoch number.
  async trainEpoch(epoch: number, onStep?: StepHook): Promise<EpochStats> {
    const { engine, x, y, order, batchSize, trainCount } = this;
    for (let i = 0; i < trainCount; i++) order[i] = i;
    shuffle(order, this.shuffleRng);
    const steps = this.stepsPerEpoch;
    const start = performance.now();
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    let step = 0;
    while (step < steps && !this.stopRequested) {
      const B = Math.min(batchSize, trainCount - step * batchSize);
      let pending: number | Promise<number>;
      if (engine.trainBatch) {
        pending = engine.trainBatch(this.train, order, step * batchSize, B);
      } else {
        const t0 = engine.profile ? performance.now() : 0;
        fillBatchFast(x, y, this.train.images, this.train.labels, order, step * batchSize, B);
        if (engine.profile) engine.profile.add('data', t0);
        pending = engine.trainStep(x, y, B);
      }
      const batchLoss = typeof pending === 'number' ? pending : await pending;
      if (!Number.isFinite(batchLoss) || batchLoss / B > FLOAT32_LOSS_LIMIT || !engine.gradsFinite) {
        throw new UserError(`training diverged at epoch ${epoch}, step ${step + 1}: ${divergence(engine, batchLoss / B)}; ${this.hint}`, EXIT.numerics);
      }
      lossSum += batchLoss;
      correct += engine.correct;
      seen += B;
      step++;
      onStep?.(step, lossSum / seen, correct / seen);
      const now = performance.now();
      if (now - this.lastYield > YIELD_MS) {
        await hostTurn();
        this.lastYield = performance.now();
      }
    }
    const seconds = (performance.now() - start) / 1000;
    return { epoch, steps: step, seconds, msPerStep: (seconds * 1000) / Math.max(step, 1), loss: lossSum / Math.max(seen, 1), accuracy: correct / Math.max(seen, 1) };
  }
}

// What went wrong, for the one-line error: the loss first, since the gradients derive from it.
function divergence(engine: Engine, meanLoss: number): string {
  if (!Number.isFinite(meanLoss)) return `the loss is ${meanLoss}`;
  if (meanLoss > FLOAT32_LOSS_LIMIT) {
    return `the loss is infinite in float32 (batch mean ${meanLoss.toPrecision(3)}, above -ln(2^-149) = ${FLOAT32_LOSS_LIMIT.toFixed(1)}: the right labels get probability 0)`;
  }
  return `the gradient of ${engine.nonFiniteGradient() ?? 'a parameter'} is not finite`;
}

// Inference over a whole split (no dropout), front to back in batches of batchSize. With predictions
// (split.count long), each example's predicted class goes there, for the confusion matrix.
export async function evaluate(engine: Engine, split: Split, batchSize: number, predictions: Uint8Array | null = null): Promise<EvalStats> {
  if (predictions !== null && engine.predictions === undefined) throw new Error('this engine gives no predictions');
  const x = new Float32Array(batchSize * PIXELS);
  const y = new Uint8Array(batchSize);
  const order = identityOrder(split.count);
  const steps = Math.ceil(split.count / batchSize);
  const start = performance.now();
  let lossSum = 0;
  let correct = 0;
  for (let step = 0; step < steps; step++) {
    const B = Math.min(batchSize, split.count - step * batchSize);
    fillBatch(x, y, split.images, split.labels, order, step * batchSize, B);
    const pending = engine.evalStep(x, y, B);
    lossSum += typeof pending === 'number' ? pending : await pending;
    correct += engine.correct;
    if (predictions !== null) await engine.predictions!(predictions, step * batchSize, B);
  }
  return { steps, seconds: (performance.now() - start) / 1000, loss: lossSum / split.count, accuracy: correct / split.count };
}

// The identity order 0..n-1.
export function identityOrder(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

// One turn of the host's event loop: setImmediate where there is one (Node); elsewhere a message to
// ourselves, which a browser delivers at once where setTimeout(0) may wait 4 ms.
const setImmediateOfHost = (globalThis as { setImmediate?: (f: () => void) => void }).setImmediate;
export function hostTurn(): Promise<void> {
  if (setImmediateOfHost !== undefined) return new Promise((resolve) => setImmediateOfHost(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
    channel.port2.postMessage(null);
  });
}
