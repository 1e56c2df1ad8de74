// The run record: what `--json FILE` writes. Later versions add fields, never rename them.

import type { BackendInfo } from '../engines/engine.ts';
import type { EpochStats, EvalStats } from '../loop.ts';

export type { BackendInfo };

// The machine, as the host that ran the training describes it (the Node CLI: os and /proc; a web
// page: navigator).
export interface MachineInfo {
  cpu: string; // the CPU model, or on ARM boards the core type ("Cortex-A76")
  board?: string; // the board as it names itself ("Raspberry Pi 5 Model B Rev 1.0"); absent on a PC
  cores: number;
  os: string;
  arch: string;
  node: string; // the Node version, or on a web page 'none (browser)'
  browser?: string; // a web page's browser, from its user agent
  gpu?: string; // a web page's WebGL renderer, where the browser names it
}

// What a run was asked to do: the part of a command's flags that goes into its record.
export interface RunSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  limit: number | null;
  device: string | null; // a person's name for the machine; null = the CPU model and cores
  validation?: boolean; // evaluate the test set after every epoch, as Keras's fit(validation_data=...)
  summary?: boolean; // print model.summary() before training
}

export interface RunRecord {
  schema: 1;
  date: string; // ISO 8601
  machine: MachineInfo;
  backend: BackendInfo;
  flags: { epochs: number; batchSize: number; learningRate: number; seed: number; limit: number | null; validation?: boolean };
  // valLoss, valAccuracy, valSeconds: with --validation, the test set after the epoch (not in `seconds`)
  epochs: { epoch: number; seconds: number; msPerStep: number; loss: number; accuracy: number; valLoss?: number; valAccuracy?: number; valSeconds?: number }[];
  test: { loss: number; accuracy: number; seconds: number; confusion?: number[][] } | null; // confusion: row = true class, column = predicted
  totalSeconds: number; // training time, summed over epochs
  device?: string; // a person's name for the machine (--device), else the CPU model and cores; absent in older records
  reference?: ReferenceMark; // only in the records transcribed from the reference log
  interrupted?: boolean; // Ctrl-C or SIGTERM: `epochs` holds the completed epochs; `test` is null unless it came during the evaluation
  partialEpoch?: PartialEpoch | null; // the epoch Ctrl-C (or SIGTERM) cut short, if it had started
  trainImages?: number; // images an epoch trained on: 60000 for the reference recipe, fewer with --limit or a small --data set
  peakRssMB?: number; // the process's peak resident memory so far (worker threads included), in MiB
  network?: { hidden: number; dropout: number }; // the hidden layer's units and dropout rate (--hidden, --dropout); absent in older records, which ran 128 and 0.2
}

// Marks a record that was not measured here but transcribed from a published log.
export interface ReferenceMark {
  source: string; // where the figures come from
  note: string; // what the transcription could not know, and how it is recorded
}

// The label a run gets in results tables and charts when --device does not name the machine: the
// board where it names itself, else the CPU.
export function deviceLabel(machine: MachineInfo): string {
  return `${machine.board ?? machine.cpu} (${machine.cores} cores)`;
}

// The machine in the log's header and summary: "AMD EPYC", "Raspberry Pi 5 Model B Rev 1.0 (Cortex-A76)".
export function machineName(machine: MachineInfo): string {
  return machine.board === undefined ? machine.cpu : `${machine.board} (${machine.cpu})`;
}

export interface PartialEpoch {
  epoch: number;
  steps: number; // steps done
  of: number; // steps in a whole epoch
  seconds: number;
  loss: number;
  accuracy: number;
}

// peakRssMB: the host's peak memory, where it can tell (Node can, a web page cannot).
export function makeRecord(
  options: RunSettings, machine: MachineInfo, backend: BackendInfo, epochs: EpochStats[], test: EvalStats | null,
  peakRssMB?: number,
): RunRecord {
  return {
    schema: 1,
    date: new Date().toISOString(),
    machine,
    backend,
    flags: {
      epochs: options.epochs, batchSize: options.batchSize, learningRate: options.learningRate,
      seed: options.seed, limit: options.limit, ...(options.validation ? { validation: true } : {}),
    },
    epochs: epochs.map((e) => ({
      epoch: e.epoch, seconds: round(e.seconds, 3), msPerStep: round(e.msPerStep, 3),
      loss: round(e.loss, 6), accuracy: round(e.accuracy, 6),
      ...(e.val ? { valLoss: round(e.val.loss, 6), valAccuracy: round(e.val.accuracy, 6), valSeconds: round(e.val.seconds, 3) } : {}),
    })),
    test: test && {
      loss: round(test.loss, 6), accuracy: round(test.accuracy, 6), seconds: round(test.seconds, 3),
      ...(test.confusion ? { confusion: test.confusion } : {}),
    },
    totalSeconds: round(epochs.reduce((s, e) => s + e.seconds, 0), 3),
    device: options.device ?? deviceLabel(machine),
    interrupted: false,
    partialEpoch: null,
    ...(peakRssMB === undefined ? {} : { peakRssMB: round(peakRssMB, 1) }),
  };
}

export function partialEpoch(stats: EpochStats, stepsPerEpoch: number): PartialEpoch {
  return {
    epoch: stats.epoch, steps: stats.steps, of: stepsPerEpoch, seconds: round(stats.seconds, 3),
    loss: round(stats.loss, 6), accuracy: round(stats.accuracy, 6),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
