// `npm run bench`, one run start to finish: check the output paths, load the data, make the engine,
// train (src/train/run.ts), then keep the results: the model file, the run record, results/local/.

import { accessSync, constants, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { usageError, type Options } from './flags.ts';
import { loadMnist, packageDataDir } from '../mnist_files.ts';
import type { Mnist } from '../../train/data/idx.ts';
import type { Engine } from '../../train/engines/engine.ts';
import { runTraining, type RunResult } from '../../train/run.ts';
import type { Output } from '../../train/keras_log.ts';
import type { RunRecord } from '../../train/results/record.ts';
import { saveRecord, prepareResultsDir, LOCAL_RESULTS_DIR } from '../results_dir.ts';
import { UserError, EXIT } from '../../train/errors.ts';
import { writeFileAtomic } from '../files.ts';
import { saveModel, isTfjsPath, tfjsWeightsFile } from '../model_file.ts';
import { machineInfo, peakRssMB } from '../machine.ts';
import { makeEngine } from './engines.ts';
import type { Interrupt } from './interrupt.ts';

export type { RunResult };

// With an interrupt, Ctrl-C (or SIGTERM) stops training at the next step boundary and the run keeps
// what it has.
// The handler stays installed when the run returns (a later press exits at once, an echo of the
// first is ignored): the caller uninstalls it, or, like the bench command, exits with it in place,
// since without a handler an echo arriving during shutdown would kill the process by the signal.
export async function runBench(options: Options, out: Output, interrupt: Interrupt | null = null): Promise<RunResult> {
  const begun = performance.now(); // since the process started: Node and the bundle loaded
  checkOutputPaths(options); // before any work: never train for minutes and then fail to keep the result
  if (options.save) prepareResultsDir(options.results ?? LOCAL_RESULTS_DIR);
  // The workers start on their own threads while this one reads the data: the two overlap.
  const starting = makeEngine(options);
  starting.catch(() => {}); // its error is thrown below, after the data's (which comes first)
  let data: Mnist;
  try {
    data = loadMnist(options.data ?? packageDataDir()); // validates all four files whole, whatever --limit says
  } catch (e) {
    await starting.then((engine) => engine.close(), () => {});
    throw e;
  }
  const loaded = performance.now();
  const trainCount = Math.min(options.limit ?? data.train.count, data.train.count);
  if (options.limit !== null && options.limit > trainCount) {
    process.stderr.write(`bench: --limit ${options.limit} capped at ${trainCount}: there are ${trainCount} training images\n`);
  }
  const machine = machineInfo();
  const engine = await starting;
  const ready = performance.now();
  interrupt?.install();
  try {
    const result = await runTraining(options, engine, data, trainCount, machine, out, {
      started: (trainer) => {
        if (interrupt) interrupt.onFirst = () => { trainer.stopRequested = true; };
        // --profile: where the start-up went, from the process's start to the first step.
        if (options.profile) out.write(`start-up: ${ms(ready)} ms to the first step: Node and the program ${ms(begun)}, data ${ms(loaded - begun)}, then waiting for the engine's threads ${ms(ready - loaded)}\n`);
      },
      peakRssMB,
    });
    await keepResults(options, result.record, engine, out);
    return result;
  } finally {
    if (interrupt) interrupt.onFirst = null; // from here a signal exits at once, in case closing hangs
    await engine.close();
  }
}

const ms = (t: number) => Math.round(t);

// --save stores the record under results/local/; without it, the closing lines say how to. A run
// stopped before its first epoch ended has nothing to compare (npm run compare would skip it): no hint.
function saveLines(options: Options, record: RunRecord): string {
  if (!options.save) {
    if (record.epochs.length === 0) return '';
    return '\nShare this run: `npm run bench -- --save` stores its record under results/local/ (add --device "NAME" to name the machine),\n'
      + 'and `npm run compare` shows it next to the Pi 5, the Jetson and the project\'s runs (table, and the chart results/local/comparison.svg).\n';
  }
  if (record.epochs.length === 0) return '\nNot saved: no epoch completed, so there is nothing to compare.\n';
  const path = saveRecord(options.results ?? LOCAL_RESULTS_DIR, record);
  return `\nSaved: ${displayPath(path)}\nCompare: \`npm run compare\` (table, and the chart results/local/comparison.svg)\n`;
}

function displayPath(path: string): string {
  const r = relative(process.cwd(), path);
  return r && !r.startsWith('..') ? r : path;
}

// The one place a run's results leave the process, finished or interrupted: the trained weights
// (--save-model), the run record (--json) and its copy under results/local/ (--save), each written whole
// or not at all.
async function keepResults(options: Options, record: RunRecord, engine: Engine, out: Output): Promise<void> {
  if (options.saveModel !== null) {
    const path = options.saveModel;
    try {
      saveModel(path, engine.shape, await engine.readParams());
    } catch (e) {
      throw new UserError(`cannot write the model (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${path}`, EXIT.data);
    }
    const cut = record.partialEpoch;
    const weights = isTfjsPath(path) ? ` (weights: ${join(dirname(path), tfjsWeightsFile(path))})` : '';
    out.write(`Model saved to ${path}${weights}${cut ? ` (mid-epoch: stopped in epoch ${cut.epoch} after ${cut.steps} of ${cut.of} steps)` : ''}\n`);
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
