// This machine as a run record names it: the board, the CPU model, usable cores, OS, Node.

import os from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { usableCpus } from './cpus.ts';
import type { MachineInfo } from '../train/results/record.ts';

// cores: the usable ones, within any cgroup CPU quota (cpus.ts), which is what a run had: a container
// given 2 CPUs on a 64-core host is a 2-core machine for the comparison. root: for tests.
// osModel: what os.cpus() says, for tests too.
export function machineInfo(root = '/', osModel: string = os.cpus()[0]?.model ?? ''): MachineInfo {
  const cpuinfo = read(join(root, 'proc/cpuinfo')) ?? '';
  const board = boardName(read(join(root, 'proc/device-tree/model')), cpuinfo);
  return {
    cpu: cpuName(osModel, cpuinfo),
    cores: usableCpus(root),
    os: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    node: process.version,
    ...(board === null ? {} : { board }),
  };
}

// The board, as it names itself: the device tree's model ("Raspberry Pi 5 Model B Rev 1.0", "NVIDIA
// Jetson Nano Developer Kit"; the file ends with a NUL byte), else the `Model` line Raspberry Pi
// kernels add to /proc/cpuinfo. Null on a PC, whose firmware has no device tree.
export function boardName(deviceTreeModel: string | null, cpuinfo: string): string | null {
  const fromTree = clean(deviceTreeModel?.replace(/\0/g, ''));
  if (fromTree) return fromTree;
  return clean(field(cpuinfo, 'Model')) || null;
}

// ARM cores by "CPU implementer"/"CPU part" (the Arm Ltd. table in the kernel's cputype.h).
const ARM_CORES: Record<string, string> = {
  '0xd03': 'Cortex-A53', '0xd04': 'Cortex-A35', '0xd05': 'Cortex-A55', '0xd07': 'Cortex-A57', '0xd08': 'Cortex-A72',
  '0xd09': 'Cortex-A73', '0xd0a': 'Cortex-A75', '0xd0b': 'Cortex-A76', '0xd0c': 'Neoverse-N1', '0xd0d': 'Cortex-A77',
  '0xd40': 'Neoverse-V1', '0xd41': 'Cortex-A78', '0xd42': 'Cortex-A78AE', '0xd44': 'Cortex-X1', '0xd46': 'Cortex-A510',
  '0xd47': 'Cortex-A710', '0xd48': 'Cortex-X2', '0xd49': 'Neoverse-N2', '0xd4f': 'Neoverse-V2',
};

// The CPU model os.cpus() gives, unless it says nothing: arm64 kernels have no "model name" line (Node
// then says "unknown" or nothing), and NVIDIA's L4T kernels print a generic "ARMv8 Processor rev 1
// (v8l)". Then the core type, from the implementer and part fields.
export function cpuName(osModel: string, cpuinfo: string): string {
  const model = osModel.trim();
  if (model !== '' && model.toLowerCase() !== 'unknown' && !/^ARMv\d+ Processor\b/i.test(model)) return model;
  const implementer = field(cpuinfo, 'CPU implementer')?.toLowerCase();
  const part = field(cpuinfo, 'CPU part')?.toLowerCase();
  if (implementer === '0x41' && part !== undefined && ARM_CORES[part] !== undefined) return ARM_CORES[part];
  if (implementer !== undefined && part !== undefined) return `ARM core ${implementer}/${part}`;
  return model || 'unknown CPU';
}

// The first "Name<tabs>: value" line of /proc/cpuinfo.
function field(cpuinfo: string, name: string): string | undefined {
  for (const line of cpuinfo.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim() === name) return line.slice(colon + 1).trim();
  }
  return undefined;
}

function clean(text: string | undefined): string {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

// The process's peak resident memory so far, worker threads included, in MiB.
export function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
