// Naming the machine: the board from its device tree or /proc/cpuinfo, the core type where the CPU
// model says nothing. Fixtures under test/fixtures/boards/ are copies of the real files' formats
// (device-tree model ends with a NUL byte), read under a fake root as the cgroup tests do.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineInfo, boardName, cpuName } from '../src/node/machine.ts';
import { deviceLabel, machineName } from '../src/train/results/record.ts';
import { tempDir } from './helpers.ts';

const BOARDS = join(import.meta.dirname, 'fixtures', 'boards');

test('Raspberry Pi 5: the board from the device tree (NUL stripped), the core from the CPU part', () => {
  const m = machineInfo(join(BOARDS, 'raspberry-pi-5'), ''); // arm64: no "model name", os.cpus() says nothing
  assert.is(m.board, 'Raspberry Pi 5 Model B Rev 1.0');
  assert.is(m.cpu, 'Cortex-A76');
  assert.is(deviceLabel(m), `Raspberry Pi 5 Model B Rev 1.0 (${m.cores} cores)`);
  assert.is(machineName(m), 'Raspberry Pi 5 Model B Rev 1.0 (Cortex-A76)');
  assert.is(machineInfo(join(BOARDS, 'raspberry-pi-5'), 'unknown').cpu, 'Cortex-A76', 'Node\'s "unknown"');
});

test('Jetson Nano: the board from the device tree; L4T\'s generic "ARMv8 Processor" gives way to the core', () => {
  const m = machineInfo(join(BOARDS, 'jetson-nano'), 'ARMv8 Processor rev 1 (v8l)');
  assert.is(m.board, 'NVIDIA Jetson Nano Developer Kit');
  assert.is(m.cpu, 'Cortex-A57');
  assert.is(deviceLabel(m), `NVIDIA Jetson Nano Developer Kit (${m.cores} cores)`);
});

test('a Raspberry Pi without /proc/device-tree (a container): the Model line of /proc/cpuinfo', () => {
  const root = tempDir('mnist-ts-board-');
  mkdirSync(join(root, 'proc'));
  copyFileSync(join(BOARDS, 'raspberry-pi-5', 'proc', 'cpuinfo'), join(root, 'proc', 'cpuinfo'));
  const m = machineInfo(root, '');
  assert.is(m.board, 'Raspberry Pi 5 Model B Rev 1.0');
  assert.is(m.cpu, 'Cortex-A76');
});

test('a PC: no board, the CPU model as os.cpus() gives it, the label as before', () => {
  const m = machineInfo(tempDir('mnist-ts-board-'), 'AMD EPYC 7B13 ');
  assert.is(m.board, undefined);
  assert.not.ok('board' in m, 'no board field at all');
  assert.is(m.cpu, 'AMD EPYC 7B13');
  assert.is(deviceLabel(m), `AMD EPYC 7B13 (${m.cores} cores)`);
  assert.is(machineName(m), 'AMD EPYC 7B13');
});

test('parsing edges: an unknown part, nothing at all, spaces in the device tree', () => {
  assert.is(cpuName('', 'CPU implementer\t: 0x61\nCPU part\t: 0x022\n'), 'ARM core 0x61/0x022');
  assert.is(cpuName('', ''), 'unknown CPU');
  assert.is(cpuName('ARMv8 Processor rev 1 (v8l)', ''), 'ARMv8 Processor rev 1 (v8l)', 'nothing better to say');
  assert.is(boardName(' Some  Board\0\0', ''), 'Some Board');
  assert.is(boardName('\0', ''), null);
  assert.is(boardName(null, 'processor\t: 0\n'), null);
});

test.run();
