// The trained network for the page's draw-a-digit (the teaching Model of src/nn with the trained
// weights), and the misclassified test digits from the run's own predictions.

import { Model, MNIST_MODEL, type ModelShape } from '../nn/model.ts';
import { PIXELS } from '../train/data/batch.ts';
import type { Split } from '../train/data/idx.ts';
import type { Evaluation } from './protocol.ts';

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

// The first few test images the network got wrong, from the run's own predictions.
export function wrongDigits(test: Split, predictions: Uint8Array, keep = 12): Evaluation['wrong'] {
  const wrong: Evaluation['wrong'] = [];
  for (let i = 0; i < test.count && wrong.length < keep; i++) {
    if (predictions[i] === test.labels[i]) continue;
    wrong.push({ index: i, label: test.labels[i], predicted: predictions[i], pixels: test.images.slice(i * PIXELS, (i + 1) * PIXELS) });
  }
  return wrong;
}
