// The trained network applied to single images and to the whole test set, for the page's confusion
// matrix, misclassified digits and draw-a-digit: the teaching Model (src/nn) with the trained weights.

import { Model, MNIST_MODEL, type ModelShape } from '../nn/model.ts';
import { fillBatch, PIXELS } from '../train/data/batch.ts';
import { identityOrder } from '../train/loop.ts';
import type { Split } from '../train/data/idx.ts';
import type { Evaluation } from './protocol.ts';

const BATCH = 100;

// A model holding these flat parameters [W1, b1, W2, b2] (canonical layout), for inference.
export function inferenceModel(params: Float32Array, maxBatch: number, shape: ModelShape = MNIST_MODEL): Model {
  const model = new Model(shape, maxBatch, 0);
  if (params.length !== model.params.length) throw new Error(`inferenceModel: ${params.length} weights, the network has ${model.params.length}`);
  model.params.set(params);
  return model;
}

// The 10 probabilities for one image: x is (784) pixels in [0,1].
export function classify(model: Model, x: Float32Array): Float32Array {
  model.forward(x, new Uint8Array(1), 1, false);
  return model.loss.probs.slice(0, model.shape.classes);
}

export function evaluateDigits(params: Float32Array, test: Split, keepWrong = 12): Evaluation {
  const model = inferenceModel(params, BATCH);
  const C = model.shape.classes;
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  const wrong: Evaluation['wrong'] = [];
  const x = new Float32Array(BATCH * PIXELS), y = new Uint8Array(BATCH);
  const order = identityOrder(test.count);
  for (let start = 0; start < test.count; start += BATCH) {
    const B = Math.min(BATCH, test.count - start);
    fillBatch(x, y, test.images, test.labels, order, start, B);
    model.forward(x, y, B, false);
    const logits = model.dense2.out;
    for (let b = 0; b < B; b++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (logits[b * C + c] > logits[b * C + best]) best = c;
      confusion[y[b]][best]++;
      if (best !== y[b] && wrong.length < keepWrong) {
        const index = start + b;
        wrong.push({ index, label: y[b], predicted: best, pixels: test.images.slice(index * PIXELS, (index + 1) * PIXELS) });
      }
    }
  }
  return { confusion, wrong };
}
