// This machine as a run record names it: CPU model, usable cores, OS, Node.

import os from 'node:os';
import { usableCpus } from './cpus.ts';
import type { MachineInfo } from '../train/results/record.ts';

// cores: the usable ones, within any cgroup CPU quota (cpus.ts), which is what a run had: a container
// given 2 CPUs on a 64-core host is a 2-core machine for the comparison. root: for tests.
export function machineInfo(root = '/'): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() || 'unknown CPU',
    cores: usableCpus(root),
    os: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    node: process.version,
  };
}

// The process's peak resident memory so far, worker threads included, in MiB.
export function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
