// One training run on an engine a host has made: the header, the Keras log epoch by epoch, the
// evaluation, the summary against the Pi 5 and the Jetson, and the reference checks. The Node CLI
// (src/node/cli/bench.ts) and the web page both run it; what they do around it (flags, files,
// signals, buttons) is theirs.

import type { Mnist } from './data/idx.ts';
import type { Engine } from './engines/engine.ts';
import { Trainer, evaluate, hostTurn, type EpochStats } from './loop.ts';
import { EpochProgress, evaluationLine, modelSummary, validationSuffix, type Output } from './keras_log.ts';
import { confusionMatrix } from './results/confusion.ts';
import { makeRecord, partialEpoch, machineName, type MachineInfo, type RunRecord, type RunSettings } from './results/record.ts';
import { summaryText, accuracyChecks, runtimeOf } from './results/report.ts';

export interface RunResult {
  record: RunRecord;
  checksPassed: boolean;
  predictions: Uint8Array | null; // the test set's predicted classes, where the engine gives them and the evaluation ran
}

// What a host may watch or steer. started: the trainer exists (a stop button or Ctrl-C sets its
// stopRequested); step: after every step, the epoch's running means; epochDone: a whole epoch.
export interface RunHooks {
  started?(trainer: Trainer): void;
  step?(epoch: number, step: number, loss: number, accuracy: number): void;
  epochDone?(stats: EpochStats): void;
  peakRssMB?(): number; // the host's peak memory, where it can tell
}

export async function runTraining(
  settings: RunSettings, engine: Engine, data: Mnist, trainCount: number, machine: MachineInfo, out: Output,
  hooks: RunHooks = {},
): Promise<RunResult> {
  const backend = engine.info;
  const trainer = new Trainer(engine, data.train, settings.batchSize, trainCount, settings.seed);
  trainer.hint = divergenceHint(settings.learningRate);
  out.write(`backend: ${backend.name} (${backend.mode}, ${backend.threads} thread${backend.threads === 1 ? '' : 's'}) on ${machineName(machine)}, ${machine.cores} cores, ${runtimeOf(machine)}\n`);
  if (backend.device) out.write(`device: ${backend.device}\n`);
  out.write(`training on ${trainCount} images, evaluating on ${data.test.count}\n`);
  if (settings.summary) out.write(modelSummary(engine.shape));

  hooks.started?.(trainer);
  const epochs: EpochStats[] = [];
  let partial: EpochStats | null = null;
  for (let epoch = 1; epoch <= settings.epochs && !trainer.stopRequested; epoch++) {
    out.write(`Epoch ${epoch}/${settings.epochs}\n`);
    const progress = new EpochProgress(out, trainer.stepsPerEpoch, performance.now());
    const stats = await trainer.trainEpoch(epoch, (step, loss, acc) => {
      progress.update(step, performance.now(), loss, acc);
      hooks.step?.(epoch, step, loss, acc);
    });
    if (stats.steps < trainer.stepsPerEpoch) {
      progress.stopped(stats.steps, stats.seconds, stats.loss, stats.accuracy);
      partial = stats;
      break;
    }
    // --validation: the test set after the epoch, on the same line as Keras prints it; its time is
    // kept apart from the epoch's training time.
    if (settings.validation) stats.val = await evaluate(engine, data.test, settings.batchSize);
    progress.finish(stats.seconds, stats.loss, stats.accuracy, stats.val ? validationSuffix(stats.val.loss, stats.val.accuracy) : '');
    if (engine.profile) out.write(engine.profile.line() + '\n');
    epochs.push(stats);
    hooks.epochDone?.(stats);
  }

  // A stop during training skips the evaluation (stop now; the weights are kept for later). The
  // evaluation itself runs without a break, so a stop during it is seen once it ends: the run is
  // then complete, and still reports itself interrupted (the CLI's exit 130 or 143 tells a calling
  // script to stop).
  const predictions = engine.predictions ? new Uint8Array(data.test.count) : null; // for the record's confusion matrix
  const test = trainer.stopRequested ? null : await evaluate(engine, data.test, settings.batchSize, predictions);
  if (test && predictions) test.confusion = confusionMatrix(data.test.labels, predictions, engine.shape.classes);
  if (test) out.write(evaluationLine(test.steps, test.seconds, test.loss, test.accuracy) + '\n');
  await hostTurn(); // the event loop's turn, for that stop
  const interrupted = trainer.stopRequested;

  const record = makeRecord(settings, machine, backend, epochs, test, hooks.peakRssMB?.());
  record.interrupted = interrupted;
  record.trainImages = trainCount;
  record.network = { hidden: engine.shape.hidden, dropout: engine.shape.dropoutRate };
  record.partialEpoch = partial && partialEpoch(partial, trainer.stepsPerEpoch);
  out.write(summaryText(record, trainCount));
  const checks = accuracyChecks(record, trainCount);
  for (const c of checks) out.write(`Accuracy check: ${c.text}: ${c.ok ? 'ok' : 'FAILED'}\n`);
  return { record, checksPassed: checks.every((c) => c.ok), predictions: test ? predictions : null };
}

// The end of the divergence message: the way back to the reference's learning rate, in plain words.
export function divergenceHint(learningRate: number): string {
  if (learningRate > 0.001) return `the learning rate ${learningRate} is too large; the reference uses 0.001: try --learning-rate 0.001`;
  return `try a --learning-rate below ${learningRate} (the reference uses 0.001)`;
}
