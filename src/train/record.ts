// The run record: what `--json FILE` writes. Later versions add fields, never rename them.

import os from 'node:os';
import type { Options } from './flags.ts';
import type { EpochStats, EvalStats } from './loop.ts';

export interface MachineInfo {
  cpu: string;
  cores: number;
  os: string;
  arch: string;
  node: string;
}

export interface BackendInfo {
  name: string; // 'cpu'
  mode: string; // detail, e.g. 'float32 js'
  threads: number;
}

export interface RunRecord {
  schema: 1;
  date: string; // ISO 8601
  machine: MachineInfo;
  backend: BackendInfo;
  flags: { epochs: number; batchSize: number; learningRate: number; seed: number; limit: number | null };
  epochs: { epoch: number; seconds: number; msPerStep: number; loss: number; accuracy: number }[];
  test: { loss: number; accuracy: number; seconds: number } | null;
  totalSeconds: number; // training time, summed over epochs
  peakRssMB: number; // the process's peak resident memory so far (worker threads included), in MiB
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() || 'unknown CPU',
    cores: os.availableParallelism(),
    os: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    node: process.version,
  };
}

export function makeRecord(
  options: Options, machine: MachineInfo, backend: BackendInfo, epochs: EpochStats[], test: EvalStats | null,
): RunRecord {
  return {
    schema: 1,
    date: new Date().toISOString(),
    machine,
    backend,
    flags: {
      epochs: options.epochs, batchSize: options.batchSize, learningRate: options.learningRate,
      seed: options.seed, limit: options.limit,
    },
    epochs: epochs.map((e) => ({
      epoch: e.epoch, seconds: round(e.seconds, 3), msPerStep: round(e.msPerStep, 3),
      loss: round(e.loss, 6), accuracy: round(e.accuracy, 6),
    })),
    test: test && { loss: round(test.loss, 6), accuracy: round(test.accuracy, 6), seconds: round(test.seconds, 3) },
    totalSeconds: round(epochs.reduce((s, e) => s + e.seconds, 0), 3),
    peakRssMB: round(process.resourceUsage().maxRSS / 1024, 1),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
