// One benchmark run, start to finish: load, build, train with the Keras log, evaluate, summarise.

import { writeFileSync } from 'node:fs';
import os from 'node:os';
import type { Options } from './flags.ts';
import { loadMnist, packageDataDir, type Mnist } from './data.ts';
import { CpuEngine, type Engine } from './engine.ts';
import { ThreadedEngine } from './threads.ts';
import { Trainer, evaluate, type EpochStats } from './loop.ts';
import { EpochProgress, evaluationLine, type Output } from './progress.ts';
import { makeRecord, machineInfo, type MachineInfo, type RunRecord } from './record.ts';
import { summaryText, accuracyChecks } from './report.ts';
import { UserError, EXIT } from './errors.ts';

export interface RunResult {
  record: RunRecord;
  checksPassed: boolean;
}

// Picks the engine for --backend; later backends plug in here. On the CPU: the single-threaded
// teaching model for --kernels naive --threads 1, else the threaded engine with the chosen twins.
export async function makeEngine(options: Options): Promise<Engine> {
  const threads = options.threads ?? os.availableParallelism();
  if (options.kernels === 'naive' && threads === 1) return new CpuEngine(options);
  return ThreadedEngine.create({ ...options, threads });
}

export async function runBench(options: Options, out: Output): Promise<RunResult> {
  const data = loadMnist(options.data ?? packageDataDir()); // validates all four files whole, whatever --limit says
  const trainCount = Math.min(options.limit ?? data.train.count, data.train.count);
  const machine = machineInfo();
  const engine = await makeEngine(options);
  try {
    return await train(options, out, engine, data, trainCount, machine);
  } finally {
    await engine.close();
  }
}

async function train(
  options: Options, out: Output, engine: Engine, data: Mnist, trainCount: number, machine: MachineInfo,
): Promise<RunResult> {
  const backend = engine.info;
  const trainer = new Trainer(engine, data.train, options.batchSize, trainCount, options.seed);
  out.write(`backend: ${backend.name} (${backend.mode}, ${backend.threads} thread${backend.threads === 1 ? '' : 's'}) on ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}\n`);
  out.write(`training on ${trainCount} images, evaluating on ${data.test.count}\n`);

  const epochs: EpochStats[] = [];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    out.write(`Epoch ${epoch}/${options.epochs}\n`);
    const progress = new EpochProgress(out, trainer.stepsPerEpoch, performance.now());
    const stats = await trainer.trainEpoch(epoch, (step, loss, acc) => progress.update(step, performance.now(), loss, acc));
    progress.finish(stats.seconds, stats.loss, stats.accuracy);
    if (engine.profile) out.write(engine.profile.line() + '\n');
    epochs.push(stats);
  }

  const test = evaluate(engine, data.test, options.batchSize);
  out.write(evaluationLine(test.steps, test.seconds, test.loss, test.accuracy) + '\n');

  const record = makeRecord(options, machine, backend, epochs, test);
  out.write(summaryText(record));
  const checks = accuracyChecks(record, trainCount);
  for (const c of checks) out.write(`Accuracy check: ${c.text}: ${c.ok ? 'ok' : 'FAILED'}\n`);
  if (options.json !== null) writeRecord(options.json, record);
  return { record, checksPassed: checks.every((c) => c.ok) };
}

function writeRecord(path: string, record: RunRecord): void {
  try {
    writeFileSync(path, JSON.stringify(record, null, 2) + '\n');
  } catch (e) {
    throw new UserError(`cannot write the run record (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${path}`, EXIT.data);
  }
}
