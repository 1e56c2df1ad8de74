// The closing summary: this machine against the reference log's Raspberry Pi 5 and Jetson Nano runs.

import { machineName, type RunRecord } from './record.ts';
import { speedAgainst, speedWords, REFERENCE_STEPS } from './speed.ts';

export interface ReferenceRun {
  device: string;
  backend: string;
  epochSeconds: number[]; // as printed in the reference log's epoch lines (whole seconds)
  msPerStep: number[];
  loss: number[];
  accuracy: number[];
  test: { loss: number; accuracy: number; seconds: number };
}

// Transcribed from results/reference-log.txt (Keras beginner MNIST, TensorFlow, 5 epochs, batch 32).
export const RASPBERRY_PI_5: ReferenceRun = {
  device: 'Raspberry Pi 5', backend: 'TensorFlow, CPU',
  epochSeconds: [10, 8, 8, 8, 8], msPerStep: [5, 4, 4, 4, 4],
  loss: [0.2971, 0.1425, 0.1061, 0.0868, 0.0740], accuracy: [0.9133, 0.9578, 0.9677, 0.9727, 0.9764],
  test: { loss: 0.0732, accuracy: 0.9776, seconds: 1 },
};
export const JETSON_NANO: ReferenceRun = {
  device: 'Jetson Nano', backend: 'TensorFlow, GPU (Tegra X1)',
  epochSeconds: [17, 17, 16, 17, 16], msPerStep: [9, 9, 9, 9, 9],
  loss: [0.2918, 0.1385, 0.1049, 0.0864, 0.0738], accuracy: [0.9158, 0.9584, 0.9678, 0.9733, 0.9774],
  test: { loss: 0.0733, accuracy: 0.9774, seconds: 2 },
};
export const REFERENCES = [RASPBERRY_PI_5, JETSON_NANO];
export { REFERENCE_STEPS, speedWords };

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

// The reference's network: Dense(128, ReLU), Dropout(0.2). A record without `network` ran it.
export const REFERENCE_NETWORK = { hidden: 128, dropout: 0.2 };

export function isReferenceNetwork(record: RunRecord): boolean {
  const net = record.network ?? REFERENCE_NETWORK;
  return net.hidden === REFERENCE_NETWORK.hidden && net.dropout === REFERENCE_NETWORK.dropout;
}

function seconds(s: number): string {
  return s >= 10 ? `${s.toFixed(1)}s` : `${s.toFixed(2)}s`;
}

// What ran the JavaScript: 'Node v20.20.2', or a web page's browser.
export function runtimeOf(machine: RunRecord['machine']): string {
  return machine.browser !== undefined ? machine.browser : `Node ${machine.node}`;
}

// trainCount: the images an epoch trains on (60000 for the reference recipe; fewer with --limit or a
// smaller --data set, and then epochs do not compare, steps do). The verdict: speedLines.
export function summaryText(record: RunRecord, trainCount = 60000): string {
  const { machine, backend, flags } = record;
  const n = record.epochs.length;
  const total = record.totalSeconds;
  const perEpoch = n > 0 ? total / n : 0;
  const threads = `${backend.threads} thread${backend.threads === 1 ? '' : 's'}`;
  const lines = [
    record.interrupted ? `Summary: interrupted after ${n} of ${flags.epochs} epochs (the completed ones are counted)` : 'Summary:',
    `This machine: ${machineName(machine)}, ${machine.cores} cores, ${machine.os} ${machine.arch}, ${runtimeOf(machine)}, backend ${backend.name} (${backend.mode}, ${threads})`,
    `Total training time on this machine: ${seconds(total)} (${n} epoch${n === 1 ? '' : 's'})`,
  ];
  for (const ref of REFERENCES) lines.push(`Total training time on the ${ref.device}: ${sum(ref.epochSeconds)}s (5 epochs)`);
  lines.push(`Average training time per epoch on this machine: ${n > 0 ? seconds(perEpoch) : 'none (no epoch completed)'}`);
  for (const ref of REFERENCES) lines.push(`Average training time per epoch on the ${ref.device}: ${(sum(ref.epochSeconds) / 5).toFixed(1)}s`);
  if (!isReferenceNetwork(record) && record.network) {
    const { hidden, dropout } = record.network;
    lines.push(`Network: Dense(${hidden}, ReLU), Dropout(${dropout}), not the reference's Dense(128, ReLU), Dropout(0.2): the accuracy checks do not apply`);
  }
  if (record.peakRssMB !== undefined) lines.push(`Peak memory (RSS) on this machine: ${Math.round(record.peakRssMB)} MB`);
  if (n === 0) return lines.join('\n') + '\n';
  lines.push(...speedLines(record, trainCount));
  return lines.join('\n') + '\n';
}

// The verdict against each reference, by the rule in speed.ts: steady epochs against steady epochs.
function speedLines(record: RunRecord, trainCount: number): string[] {
  const { flags, epochs } = record;
  const partial = trainCount !== 60000;
  const lines: string[] = [];
  for (const ref of REFERENCES) {
    const speed = speedAgainst(epochs, partial, flags.batchSize, ref.epochSeconds);
    if (speed.ratio === null) continue;
    const [ours, theirs] = speed.perStep ? [`${speed.ours.toFixed(2)}ms`, `${speed.theirs.toFixed(2)}ms`] : [seconds(speed.ours), `${speed.theirs.toFixed(1)}s`];
    const which = speed.basis === 'steady'
      ? `${epochs.length === 2 ? 'epoch 2' : `epochs 2-${epochs.length}`} here against its epochs 2-5, both after warm-up: ${ours} against ${theirs}`
      : `epoch 1, warm-up included on both sides: ${ours} against ${theirs}`;
    lines.push(`This machine is ${speedWords(speed.ours, speed.theirs)} than the ${ref.device} per ${speed.perStep ? 'step' : 'epoch'} (${which}).`);
  }
  const steps = Math.ceil(trainCount / flags.batchSize);
  if (flags.batchSize !== 32) {
    lines.push(`No speed ratio: --batch-size ${flags.batchSize} is not the reference's 32, so neither epochs nor steps compare.`);
  } else if (epochs.length === 1 && partial) {
    lines.push(`No speed ratio: one short epoch (${steps} steps) is mostly warm-up (the JIT compiling the kernels). For a fair figure run 2 or more epochs (--epochs 3): epochs 2 and later are compared per step with the references' steady epochs.`);
  } else if (epochs.length === 1) {
    lines.push('One epoch includes warm-up (the JIT compiling the kernels). For a fair figure run 2 or more epochs (--epochs 3): epochs 2 and later are compared with the references\' steady epochs.');
  }
  if (partial && flags.batchSize === 32 && epochs.length >= 2) lines.push(`Steps are compared: an epoch here is ${trainCount} images, not 60000.`);
  return lines;
}

// The acceptance bounds from the reference log, checked when this run used the reference recipe
// (all 60000 training images, batch 32, learning rate 0.001, the network of 128 units, dropout 0.2).
export function accuracyChecks(record: RunRecord, trainCount: number): { text: string; ok: boolean }[] {
  const { flags } = record;
  if (flags.batchSize !== 32 || flags.learningRate !== 0.001 || trainCount !== 60000 || !isReferenceNetwork(record)) return [];
  const checks: { text: string; ok: boolean }[] = [];
  const first = record.epochs[0];
  if (first) {
    checks.push({ text: `epoch 1 loss ${first.loss.toFixed(4)} within 0.27-0.32`, ok: first.loss >= 0.27 && first.loss <= 0.32 });
    checks.push({ text: `epoch 1 accuracy ${first.accuracy.toFixed(4)} >= 0.91`, ok: first.accuracy >= 0.91 });
  }
  if (record.epochs.length >= 5 && record.test) {
    checks.push({ text: `test accuracy ${record.test.accuracy.toFixed(4)} >= 0.975 after ${record.epochs.length} epochs`, ok: record.test.accuracy >= 0.975 });
  }
  return checks;
}
