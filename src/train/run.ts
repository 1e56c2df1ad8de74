// One benchmark run, start to finish: load, build, train with the Keras log, evaluate, summarise.

import { writeFileSync } from 'node:fs';
import type { Options } from './flags.ts';
import { loadMnist, packageDataDir, type Split } from './data.ts';
import { Model, MNIST_MODEL } from '../nn/model.ts';
import { Adam, KERAS_ADAM } from '../nn/optimizer.ts';
import { Trainer, evaluate, identityOrder, type EpochStats } from './loop.ts';
import { EpochProgress, evaluationLine, type Output } from './progress.ts';
import { makeRecord, machineInfo, type BackendInfo, type RunRecord } from './record.ts';
import { summaryText, accuracyChecks } from './report.ts';
import { UserError, EXIT } from './errors.ts';

export interface RunResult {
  record: RunRecord;
  checksPassed: boolean;
}

export function runBench(options: Options, out: Output): RunResult {
  const data = loadMnist(options.data ?? packageDataDir()); // validates all four files whole, whatever --limit says
  const trainCount = Math.min(options.limit ?? data.train.count, data.train.count);
  const machine = machineInfo();
  const backend: BackendInfo = { name: 'cpu', mode: 'float32 js', threads: 1 };

  const model = new Model(MNIST_MODEL, options.batchSize, options.seed);
  const optimizer = new Adam(model.params, model.grads, { ...KERAS_ADAM, learningRate: options.learningRate });
  const trainer = new Trainer(model, optimizer, data.train, options.batchSize, trainCount, options.seed);

  out.write(`backend: ${backend.name} (${backend.mode}, ${backend.threads} thread) on ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}\n`);
  out.write(`training on ${trainCount} images, evaluating on ${data.test.count}\n`);

  const epochs: EpochStats[] = [];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    out.write(`Epoch ${epoch}/${options.epochs}\n`);
    const progress = new EpochProgress(out, trainer.stepsPerEpoch, performance.now());
    const stats = trainer.trainEpoch(epoch, (step, loss, acc) => progress.update(step, performance.now(), loss, acc));
    progress.finish(stats.seconds, stats.loss, stats.accuracy);
    epochs.push(stats);
  }

  const test = evaluateSplit(model, data.test, options.batchSize);
  out.write(evaluationLine(test.steps, test.seconds, test.loss, test.accuracy) + '\n');

  const record = makeRecord(options, machine, backend, epochs, test);
  out.write(summaryText(record));
  const checks = accuracyChecks(record, trainCount);
  for (const c of checks) out.write(`Accuracy check: ${c.text}: ${c.ok ? 'ok' : 'FAILED'}\n`);
  if (options.json !== null) writeRecord(options.json, record);
  return { record, checksPassed: checks.every((c) => c.ok) };
}

export function evaluateSplit(model: Model, split: Split, batchSize: number) {
  const x = new Float32Array(batchSize * MNIST_MODEL.inputs);
  const y = new Uint8Array(batchSize);
  return evaluate(model, split, batchSize, x, y, identityOrder(split.count));
}

function writeRecord(path: string, record: RunRecord): void {
  try {
    writeFileSync(path, JSON.stringify(record, null, 2) + '\n');
  } catch (e) {
    throw new UserError(`cannot write the run record (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${path}`, EXIT.data);
  }
}
