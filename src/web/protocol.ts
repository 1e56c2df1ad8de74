// The messages between the page (page.ts, which only draws) and its trainer worker (workers/trainer.ts,
// thread 0 of training).

import type { BackendInfo, MachineInfo, RunRecord } from '../train/results/record.ts';
import type { WebSettings } from './settings.ts';

export type ToTrainer =
  | { type: 'start'; settings: WebSettings; machine: MachineInfo; base: string }
  | { type: 'stop' };

export type FromTrainer =
  | { type: 'log'; text: string } // Keras log text, with the bar's \r redraws
  | { type: 'note'; text: string } // the status line: what is happening (loading, stopping)
  | { type: 'warning'; text: string } // kept on screen: why the run is not what was asked (one thread, a gpu.js fallback)
  | { type: 'state'; state: 'loading' | 'training'; backend?: BackendInfo; stepsPerEpoch?: number }
  | { type: 'steps'; epoch: number; points: Float32Array } // [step, loss, accuracy] triples, running means
  | { type: 'epoch'; epoch: number; loss: number; accuracy: number; seconds: number }
  | { type: 'weights'; W1: Float32Array; hidden: number } // (784, H): the hidden units' input weights
  | { type: 'done'; record: RunRecord; params: Float32Array; evaluation: Evaluation | null }
  | { type: 'error'; message: string };

// The test set after training: the confusion matrix and some of the digits it got wrong.
export interface Evaluation {
  confusion: number[][]; // [true][predicted] counts, 10x10
  wrong: { index: number; label: number; predicted: number; pixels: Uint8Array }[]; // the first few misclassified test images
}
