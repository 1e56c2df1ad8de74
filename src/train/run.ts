// One benchmark run, start to finish: load, build, train with the Keras log, evaluate, summarise.

import { accessSync, constants, statSync } from 'node:fs';
import { usableCpus } from './cpus.ts';
import { dirname, relative } from 'node:path';
import { usageError, type Options } from './flags.ts';
import { loadMnist, packageDataDir, type Mnist } from './data.ts';
import { CpuEngine, type Engine } from './engine.ts';
import { ThreadedEngine } from './threads.ts';
import { Trainer, evaluate, type EpochStats } from './loop.ts';
import { EpochProgress, evaluationLine, type Output } from './progress.ts';
import { makeRecord, machineInfo, partialEpoch, type MachineInfo, type RunRecord } from './record.ts';
import { summaryText, accuracyChecks } from './report.ts';
import { saveRecord, prepareResultsDir, RESULTS_DIR } from './results.ts';
import { UserError, EXIT } from './errors.ts';
import { writeFileAtomic } from './files.ts';
import { saveModel } from './model_file.ts';
import type { Interrupt } from './interrupt.ts';

export interface RunResult {
  record: RunRecord;
  checksPassed: boolean;
}

// Picks the engine for --backend; later backends plug in here. On the CPU: the single-threaded
// teaching model for --kernels naive --threads 1, else the threaded engine with the chosen twins.
export async function makeEngine(options: Options): Promise<Engine> {
  if (options.backend === 'gpujs') {
    if (options.threads !== null || options.kernels !== 'fast') throw usageError('--threads and --kernels apply to --backend cpu only');
    // Imported only here, so --backend cpu never loads gpu.js.
    const { GpuJsEngine } = await import('./gpujs_engine.ts');
    return GpuJsEngine.create(options);
  }
  if (options.gpuMode !== 'auto') throw usageError('--gpu-mode applies to --backend gpujs only');
  const threads = options.threads ?? usableCpus();
  if (options.kernels === 'naive' && threads === 1) return new CpuEngine(options);
  return ThreadedEngine.create({ ...options, threads });
}

// With an interrupt, Ctrl-C (or SIGTERM) stops training at the next step boundary and the run keeps
// what it has.
// The handler stays installed when the run returns (a later press exits at once, an echo of the
// first is ignored): the caller uninstalls it, or, like the bench command, exits with it in place,
// since without a handler an echo arriving during shutdown would kill the process by the signal.
export async function runBench(options: Options, out: Output, interrupt: Interrupt | null = null): Promise<RunResult> {
  checkOutputPaths(options); // before any work: never train for minutes and then fail to keep the result
  if (options.save) prepareResultsDir(options.results ?? RESULTS_DIR);
  const data = loadMnist(options.data ?? packageDataDir()); // validates all four files whole, whatever --limit says
  const trainCount = Math.min(options.limit ?? data.train.count, data.train.count);
  const machine = machineInfo();
  const engine = await makeEngine(options);
  interrupt?.install();
  try {
    return await train(options, out, engine, data, trainCount, machine, interrupt);
  } finally {
    if (interrupt) interrupt.onFirst = null; // from here a signal exits at once, in case closing hangs
    await engine.close();
  }
}

async function train(
  options: Options, out: Output, engine: Engine, data: Mnist, trainCount: number, machine: MachineInfo,
  interrupt: Interrupt | null,
): Promise<RunResult> {
  const backend = engine.info;
  const trainer = new Trainer(engine, data.train, options.batchSize, trainCount, options.seed);
  trainer.hint = `try a --learning-rate below ${options.learningRate}`;
  out.write(`backend: ${backend.name} (${backend.mode}, ${backend.threads} thread${backend.threads === 1 ? '' : 's'}) on ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}\n`);
  if (backend.device) out.write(`device: ${backend.device}\n`);
  out.write(`training on ${trainCount} images, evaluating on ${data.test.count}\n`);

  if (interrupt) interrupt.onFirst = () => { trainer.stopRequested = true; };
  const epochs: EpochStats[] = [];
  let partial: EpochStats | null = null;
  for (let epoch = 1; epoch <= options.epochs && !trainer.stopRequested; epoch++) {
    out.write(`Epoch ${epoch}/${options.epochs}\n`);
    const progress = new EpochProgress(out, trainer.stepsPerEpoch, performance.now());
    const stats = await trainer.trainEpoch(epoch, (step, loss, acc) => progress.update(step, performance.now(), loss, acc));
    if (stats.steps < trainer.stepsPerEpoch) {
      progress.stopped(stats.steps, stats.seconds, stats.loss, stats.accuracy);
      partial = stats;
      break;
    }
    progress.finish(stats.seconds, stats.loss, stats.accuracy);
    if (engine.profile) out.write(engine.profile.line() + '\n');
    epochs.push(stats);
  }

  // Ctrl-C during training skips the evaluation (stop now; the weights are kept for later). The
  // evaluation itself runs without a break, so a Ctrl-C during it is seen once it ends: the run is
  // then complete, and still reports itself interrupted (exit 130 or 143 tells a calling script to stop).
  const test = trainer.stopRequested ? null : await evaluate(engine, data.test, options.batchSize);
  if (test) out.write(evaluationLine(test.steps, test.seconds, test.loss, test.accuracy) + '\n');
  await new Promise((resolve) => setImmediate(resolve)); // the event loop's turn, for that Ctrl-C
  const interrupted = trainer.stopRequested;

  const record = makeRecord(options, machine, backend, epochs, test);
  record.interrupted = interrupted;
  record.trainImages = trainCount;
  record.partialEpoch = partial && partialEpoch(partial, trainer.stepsPerEpoch);
  out.write(summaryText(record, trainCount));
  const checks = accuracyChecks(record, trainCount);
  for (const c of checks) out.write(`Accuracy check: ${c.text}: ${c.ok ? 'ok' : 'FAILED'}\n`);
  await keepResults(options, record, engine, out);
  return { record, checksPassed: checks.every((c) => c.ok) };
}

// --save stores the record under results/; without it, the closing lines say how to.
function saveLines(options: Options, record: RunRecord): string {
  if (!options.save) {
    return '\nShare this run: `npm run bench -- --save` stores its record under results/ (add --device "NAME" to name the machine),\n'
      + 'and `npm run compare` shows every saved run next to the Pi 5 and the Jetson (table and results/comparison.svg).\n';
  }
  // A run stopped before its first epoch ended has nothing to compare; npm run compare would skip it.
  if (record.epochs.length === 0) return '\nNot saved: no epoch completed, so there is nothing to compare.\n';
  const path = saveRecord(options.results ?? RESULTS_DIR, record);
  return `\nSaved: ${displayPath(path)}\nCompare: \`npm run compare\` (table, and the chart results/comparison.svg)\n`;
}

function displayPath(path: string): string {
  const r = relative(process.cwd(), path);
  return r && !r.startsWith('..') ? r : path;
}

// The one place a run's results leave the process, finished or interrupted: the trained weights
// (--save-model), the run record (--json) and its copy under results/ (--save), each written whole
// or not at all.
async function keepResults(options: Options, record: RunRecord, engine: Engine, out: Output): Promise<void> {
  if (options.saveModel !== null) {
    const path = options.saveModel;
    try {
      saveModel(path, engine.shape, await engine.readParams());
    } catch (e) {
      throw new UserError(`cannot write the model (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${path}`, EXIT.data);
    }
    out.write(`Model saved to ${path}\n`);
  }
  if (options.json !== null) writeRecord(options.json, record);
  out.write(saveLines(options, record));
}

function writeRecord(path: string, record: RunRecord): void {
  try {
    writeFileAtomic(path, JSON.stringify(record, null, 2) + '\n');
  } catch (e) {
    throw new UserError(`cannot write the run record (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${path}`, EXIT.data);
  }
}

// Output files must be creatable before training starts: the folder exists and is writable, and
// the name is not a folder.
export function checkOutputPaths(options: Options): void {
  const outputs: [string, string | null][] = [['--json', options.json], ['--save-model', options.saveModel]];
  for (const [flag, path] of outputs) {
    if (path === null) continue;
    const folder = dirname(path);
    let problem: string | null = null;
    try {
      if (!statSync(folder).isDirectory()) problem = `${folder} is not a folder`;
      else accessSync(folder, constants.W_OK);
      if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) problem = `${path} is a folder`;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problem = code === 'ENOENT' || code === 'ENOTDIR' ? `no folder ${folder}` : `cannot write in ${folder} (${code ?? 'error'})`;
    }
    if (problem !== null) throw usageError(`${flag} ${path}: ${problem}`);
  }
}
