// `npm run bench:peers`: our trainer and TensorFlow.js 4.22 (WebAssembly backend) side by side, in
// one go, on this machine: ours, the peer, ours again (so a busy machine shows up as a spread), then
// the ratio of steady-state epochs (epoch 2 onwards). With --rounds R the peer runs R times, each run
// between two of ours (ours, peer, ours, peer, ..., ours: 2R+1 runs), and each peer run gets its own
// ratio against the mean of the two runs beside it; the median of the R ratios is the result, since
// on a shared machine the tenants next door come and go within minutes. The peer lives in
// bench/dev/peers with its own package.json; install it first with `npm install --prefix bench/dev/peers`.
//   npm run bench:peers -- [--epochs N (default 2)] [--rounds R (default 3)] [--limit N] [--threads N] [--kernels fast|simd|naive] [--peer-backend wasm|cpu]

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunRecord } from '../../src/train/results/record.ts';
import { median } from './median.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const flag = (name: string): string | null => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] ?? null : null; };
const epochs = Number(flag('--epochs') ?? 2);
const rounds = Number(flag('--rounds') ?? 3);
const limit = flag('--limit');
const threads = flag('--threads');
const kernels = flag('--kernels'); // ours: fast (default), simd or naive
const peerBackend = flag('--peer-backend') ?? 'wasm';

interface Result { name: string; epochSeconds: number[]; testAccuracy: number; peakRssMB: number }

function fail(message: string): never {
  process.stderr.write(`bench:peers: ${message}\n`);
  process.exit(1);
}

// Epoch 2 onwards (JIT warm-up, first-touch of memory and wasm compilation stay in epoch 1).
function steady(seconds: number[]): number {
  const xs = seconds.length > 1 ? seconds.slice(1) : seconds;
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function run(command: string, argv: string[]): string {
  const r = spawnSync(command, argv, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) fail(`${argv.join(' ')} exited with ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  return r.stdout;
}

// Ours runs exactly as `npm run bench` runs it: package.json's command line, less its `node` (the
// script is `node` and plain words, no quotes).
const BENCH_ARGV = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.bench as string).split(' ').slice(1);

function ours(): Result {
  const json = join(mkdtempSync(join(tmpdir(), 'mnist-ts-peers-')), 'ours.json');
  const argv = [...BENCH_ARGV, '--epochs', String(epochs), '--json', json];
  if (limit) argv.push('--limit', limit);
  if (threads) argv.push('--threads', threads);
  if (kernels) argv.push('--kernels', kernels);
  run(process.execPath, argv);
  const record = JSON.parse(readFileSync(json, 'utf8')) as RunRecord;
  return {
    name: `mnist-ts (${record.backend.mode}, ${record.backend.threads} thread${record.backend.threads === 1 ? '' : 's'})`,
    epochSeconds: record.epochs.map((e) => e.seconds), testAccuracy: record.test?.accuracy ?? NaN, peakRssMB: record.peakRssMB ?? NaN,
  };
}

function peer(): Result {
  const script = join(root, 'bench', 'dev', 'peers', 'tfjs_wasm.mjs');
  if (!existsSync(join(root, 'bench', 'dev', 'peers', 'node_modules', '@tensorflow', 'tfjs-backend-wasm'))) {
    fail('the peer is not installed: run `npm install --prefix bench/dev/peers` (TensorFlow.js 4.22, about 100 MB, from the npm registry)');
  }
  const argv = [script, '--epochs', String(epochs), '--backend', peerBackend];
  if (limit) argv.push('--limit', limit);
  const line = run(process.execPath, argv).split('\n').find((l) => l.startsWith('PEER_RESULT '));
  if (!line) fail('the peer printed no PEER_RESULT line');
  const r = JSON.parse(line.slice('PEER_RESULT '.length));
  return { name: `${r.tool} (${r.backend}, ${r.threads} thread${r.threads === 1 ? '' : 's'})`, epochSeconds: r.epochSeconds, testAccuracy: r.testAccuracy, peakRssMB: r.peakRssMB };
}

if (!Number.isInteger(epochs) || epochs < 1) fail('--epochs expects a positive integer');
if (!Number.isInteger(rounds) || rounds < 1) fail('--rounds expects a positive integer');
const rest = `${limit ? ` on ${limit} images` : ''}; ours, the peer, ours again${rounds > 1 ? `, ${rounds} rounds (${2 * rounds + 1} runs)` : ''}`;
console.log(`side by side on this machine: ${epochs} epoch${epochs === 1 ? '' : 's'} each${rest}`);
const report = (r: Result): Result => {
  console.log(`  ${r.name}: epochs ${r.epochSeconds.map((s) => s.toFixed(2)).join(', ')} s; test accuracy ${r.testAccuracy.toFixed(4)}; peak RSS ${r.peakRssMB} MB`);
  return r;
};
let before = report(ours());
const ratios: number[] = [];
let name = '';
for (let r = 0; r < rounds; r++) {
  const p = report(peer());
  const after = report(ours());
  const oursSteady = (steady(before.epochSeconds) + steady(after.epochSeconds)) / 2;
  const peerSteady = steady(p.epochSeconds);
  name = p.name;
  ratios.push(peerSteady / oursSteady);
  console.log(`steady-state epoch: ours ${oursSteady.toFixed(2)} s (runs ${steady(before.epochSeconds).toFixed(2)} and ${steady(after.epochSeconds).toFixed(2)}), ${p.name.split(' (')[0]} ${peerSteady.toFixed(2)} s: ${(peerSteady / oursSteady).toFixed(1)}x`);
  before = after;
}
const spread = rounds > 1 ? ` (median of ${rounds} rounds: ${ratios.map((x) => x.toFixed(1)).join(', ')})` : '';
console.log(`ours is ${median(ratios).toFixed(1)} times faster than ${name}${spread}`);
