// The training loop: shuffle each epoch, step through batches, track Keras' running means,
// and evaluate. Every buffer is made once here; a step only fills and reuses them.

import { Model } from '../nn/model.ts';
import { Adam } from '../nn/optimizer.ts';
import { type Rng, makeRng, shuffle } from '../tensor/rng.ts';
import { RNG_STREAM } from '../nn/model.ts';
import { fillBatch, PIXELS } from './batch.ts';
import type { Split } from './data.ts';
import { UserError, EXIT } from './errors.ts';

export interface EpochStats {
  epoch: number; // 1-based
  steps: number;
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
}

// Called after each step with the running means (for the progress bar).
export type StepHook = (step: number, loss: number, accuracy: number) => void;

export class Trainer {
  readonly x: Float32Array; // (batchSize, 784) the current batch, scaled
  readonly y: Uint8Array; // (batchSize)
  readonly order: Uint32Array; // training example order, reshuffled every epoch
  private readonly shuffleRng: Rng;

  constructor(
    readonly model: Model, readonly optimizer: Adam, readonly train: Split,
    readonly batchSize: number, readonly trainCount: number, seed: number,
  ) {
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
  trainEpoch(epoch: number, onStep?: StepHook): EpochStats {
    const { model, optimizer, x, y, order, batchSize, trainCount } = this;
    for (let i = 0; i < trainCount; i++) order[i] = i;
    shuffle(order, this.shuffleRng);
    const steps = this.stepsPerEpoch;
    const start = performance.now();
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let step = 0; step < steps; step++) {
      const B = Math.min(batchSize, trainCount - step * batchSize);
      fillBatch(x, y, this.train.images, this.train.labels, order, step * batchSize, B);
      model.zeroGrad();
      const batchLoss = model.forward(x, y, B, true);
      if (!Number.isFinite(batchLoss)) {
        throw new UserError(
          `training diverged: loss is ${batchLoss} at epoch ${epoch}, step ${step + 1}; try a smaller --learning-rate (now ${optimizer.config.learningRate})`,
          EXIT.numerics,
        );
      }
      model.backward(x, y, B);
      optimizer.update();
      lossSum += batchLoss;
      correct += model.loss.result.correct;
      seen += B;
      onStep?.(step + 1, lossSum / seen, correct / seen);
    }
    const seconds = (performance.now() - start) / 1000;
    return { epoch, steps, seconds, msPerStep: (seconds * 1000) / steps, loss: lossSum / seen, accuracy: correct / seen };
  }
}

// Inference over a whole split (no dropout), in batches of batchSize through the model's buffers.
export function evaluate(model: Model, split: Split, batchSize: number, x: Float32Array, y: Uint8Array, order: Uint32Array): EvalStats {
  const steps = Math.ceil(split.count / batchSize);
  const start = performance.now();
  let lossSum = 0;
  let correct = 0;
  for (let step = 0; step < steps; step++) {
    const B = Math.min(batchSize, split.count - step * batchSize);
    fillBatch(x, y, split.images, split.labels, order, step * batchSize, B);
    lossSum += model.forward(x, y, B, false);
    correct += model.loss.result.correct;
  }
  return { steps, seconds: (performance.now() - start) / 1000, loss: lossSum / split.count, accuracy: correct / split.count };
}

// The identity order 0..n-1, for evaluating a split front to back.
export function identityOrder(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}
