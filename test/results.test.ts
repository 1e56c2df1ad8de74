// Shared results: saving and loading run records, skipping bad files, the comparison table and the SVG chart.
// Everything writes into temporary folders, never into the project's results/.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULTS, parseFlags } from '../src/node/cli/flags.ts';
import { makeRecord, type RunRecord } from '../src/train/results/record.ts';
import { machineInfo } from '../src/node/machine.ts';
import { saveRecord, loadResults, RESULTS_DIR } from '../src/node/results_dir.ts';
import { recordFileName, slug, referenceRecord, REFERENCE_RECORDS, type LoadedRecord } from '../src/train/results/records.ts';
import { compareRows, tableText, tableMarkdown, comparisonChart } from '../src/train/results/compare.ts';
import { yScale } from '../src/train/results/chart.ts';
import { RASPBERRY_PI_5, JETSON_NANO } from '../src/train/results/report.ts';
import { UserError } from '../src/train/errors.ts';
import { dataDir } from './idx.ts';
import { tempDir as newTempDir } from './helpers.ts';

const tempDir = (): string => newTempDir('mnist-ts-results-');

// A measured run with the given epoch seconds (1875 steps an epoch unless limited).
function run(device: string, seconds: number[], flags: Partial<RunRecord['flags']> = {}, date = '2026-11-26T21:40:00.000Z'): RunRecord {
  const options = { ...DEFAULTS, epochs: seconds.length, device, ...flags };
  const steps = options.limit === null ? 1875 : Math.ceil(options.limit / options.batchSize);
  const epochs = seconds.map((s, i) => ({ epoch: i + 1, steps, seconds: s, msPerStep: (s * 1000) / steps, loss: 0.3 / (i + 1), accuracy: 0.9 + i / 100 }));
  const record = makeRecord(options, machineInfo(), { name: 'cpu', mode: 'float32 js', threads: 1 }, epochs, { steps: 313, seconds: 1, loss: 0.07, accuracy: 0.977 });
  record.date = date;
  return record;
}

test('flags: --save, --results DIR, --device NAME', () => {
  assert.equal(parseFlags(['--save', '--results', '/tmp/r', '--device', 'Raspberry Pi 5']), { ...DEFAULTS, save: true, results: '/tmp/r', device: 'Raspberry Pi 5' });
  assert.throws(() => parseFlags(['--save=yes']), /--save takes no value/);
  assert.throws(() => parseFlags(['--device', '']), /--device needs a non-empty value/);
});

test('record: device label, file name, save then load round-trips, repeated saves never collide', () => {
  const dir = join(tempDir(), 'nested', 'results'); // --save makes the folder
  const record = run('AMD EPYC 7B13 (2 cores)', [28.1, 26.2]);
  assert.is(record.device, 'AMD EPYC 7B13 (2 cores)');
  assert.is(recordFileName(record), '2026-11-26-amd-epyc-7b13-2-cores-cpu-float32-js.json');
  assert.is(slug('  Ünïcode / Pi 5!! '), 'n-code-pi-5');
  const first = saveRecord(dir, record);
  const second = saveRecord(dir, record);
  const third = saveRecord(dir, record);
  assert.is(first, join(dir, '2026-11-26-amd-epyc-7b13-2-cores-cpu-float32-js.json'));
  assert.is(second, join(dir, '2026-11-26-amd-epyc-7b13-2-cores-cpu-float32-js-2.json'));
  assert.is(third, join(dir, '2026-11-26-amd-epyc-7b13-2-cores-cpu-float32-js-3.json'));
  assert.equal(readdirSync(dir).sort(), [first, second, third].map((p) => p.slice(dir.length + 1)).sort(), 'no temp file left behind');
  const warnings: string[] = [];
  const loaded = loadResults(dir, (w) => warnings.push(w));
  assert.equal(warnings, []);
  assert.is(loaded.length, 3);
  assert.equal(loaded[0].record, record);
  // Without --device the label is the CPU model and core count.
  const plain = makeRecord(DEFAULTS, machineInfo(), { name: 'cpu', mode: 'm', threads: 1 }, [], null);
  assert.is(plain.device, `${machineInfo().cpu} (${machineInfo().cores} cores)`);
});

test('results: corrupt and foreign JSON files are skipped with one line naming each, never a crash', () => {
  const dir = tempDir();
  saveRecord(dir, run('Good Box', [5, 4]));
  writeFileSync(join(dir, 'corrupt.json'), '{"schema": 1, "epochs": [');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'foreign', version: '1.0.0' }));
  writeFileSync(join(dir, 'array.json'), '[1, 2, 3]');
  writeFileSync(join(dir, 'null.json'), 'null');
  const noEpochs = run('No Epochs', [5]);
  writeFileSync(join(dir, 'no-epochs.json'), JSON.stringify({ ...noEpochs, epochs: [] }));
  const badSeconds = run('Bad Seconds', [5]);
  writeFileSync(join(dir, 'bad-seconds.json'), JSON.stringify({ ...badSeconds, epochs: [{ ...badSeconds.epochs[0], seconds: 'fast' }] }));
  const { date: _date, ...noDate } = run('No Date', [5]);
  writeFileSync(join(dir, 'no-date.json'), JSON.stringify(noDate));
  writeFileSync(join(dir, 'number-date.json'), JSON.stringify({ ...run('Number Date', [5]), date: 5 }));
  writeFileSync(join(dir, 'comparison.svg'), '<svg/>'); // not a record: ignored silently
  const warnings: string[] = [];
  const loaded = loadResults(dir, (w) => warnings.push(w));
  assert.equal(loaded.map((x) => x.record.device), ['Good Box']);
  assert.is(warnings.length, 8, warnings.join('\n'));
  for (const w of warnings) assert.not.match(w, /\n/);
  const byFile = (name: string): string => warnings.find((w) => w.includes(join(dir, name))) ?? `no warning for ${name}`;
  assert.match(byFile('corrupt.json'), /^skipping .*corrupt\.json: not valid JSON$/);
  assert.match(byFile('package.json'), /not a run record \(no "schema" version\)$/);
  assert.match(byFile('array.json'), /not a run record \(not a JSON object\)$/);
  assert.match(byFile('null.json'), /not a run record \(not a JSON object\)$/);
  assert.match(byFile('no-epochs.json'), /no epochs in the record$/);
  assert.match(byFile('bad-seconds.json'), /an epoch without finite "seconds"/);
  assert.match(byFile('no-date.json'), /no "date"$/);
  assert.match(byFile('number-date.json'), /no "date"$/);
});

test('save: an unwritable folder is a one-line error, not a hang (Node\'s recursive mkdir spins on these)', () => {
  const dir = tempDir();
  symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
  assert.throws(() => saveRecord(join(dir, 'dangling', 'results'), run('Box', [1])), (e: Error) => e instanceof UserError
    && e.message === `cannot save the run record (ENOENT): ${join(dir, 'dangling', 'results')}`);
  writeFileSync(join(dir, 'file'), '');
  assert.throws(() => saveRecord(join(dir, 'file', 'results'), run('Box', [1])), /cannot save the run record \(ENOTDIR\)/);
  if (process.platform === 'linux') assert.throws(() => saveRecord('/proc/mnist-ts/results', run('Box', [1])), /cannot save the run record/);
});

test('results: a missing folder is a one-line error', () => {
  assert.throws(() => loadResults('/nonexistent/results', () => {}), (e: Error) => e.message === 'cannot read the results folder (ENOENT): /nonexistent/results');
});

test('references: the committed records are exactly the transcription in report.ts, with the right sums', () => {
  const pi = referenceRecord(RASPBERRY_PI_5).record;
  const jetson = referenceRecord(JETSON_NANO).record;
  assert.is(pi.totalSeconds, 42);
  assert.is(jetson.totalSeconds, 83);
  assert.ok(pi.reference && jetson.reference);
  assert.equal(pi.epochs.map((e) => e.seconds), [10, 8, 8, 8, 8]);
  assert.equal(jetson.epochs.map((e) => e.seconds), [17, 17, 16, 17, 16]);
  for (const { file, record } of REFERENCE_RECORDS) {
    const path = join(RESULTS_DIR, file);
    assert.ok(existsSync(path), `${path} is missing: npm run compare -- --write-references`);
    assert.equal(JSON.parse(readFileSync(path, 'utf8')), record, `${file} differs from report.ts: npm run compare -- --write-references`);
  }
});

// Pi reference, Jetson reference, and measured runs made here.
function sampleSet(): LoadedRecord[] {
  return [
    { file: 'z-later.json', record: run('Later Box', [4.2, 4.2], {}, '2026-12-01T00:00:00.000Z') },
    { file: 'a-box.json', record: run('Test Box', [12, 6, 6, 6]) }, // mean 7.5 s: 8.4 / 7.5 = 1.12x
    { file: 'limited.json', record: run('Test Box', [2.24], { limit: 3200 }) }, // 100 steps, 22.4 ms/step: 4.48 / 22.4 = 0.20x
    { file: 'batch64.json', record: run('Test Box', [3, 3], { batchSize: 64 }) },
    ...REFERENCE_RECORDS,
  ];
}

test('table: first epoch vs steady state, mean, ms/step, relative speed to the Pi 5', () => {
  const rows = compareRows(sampleSet());
  assert.equal(rows.map((r) => r.file), [
    'reference-raspberry-pi-5-tensorflow-cpu.json', 'reference-jetson-nano-tensorflow-gpu.json',
    'a-box.json', 'batch64.json', 'limited.json', 'z-later.json',
  ]);
  const [pi, jetson, box, batch64, limited, later] = rows;
  assert.equal([pi.firstSeconds, pi.steadySeconds, pi.meanSeconds, pi.totalSeconds, pi.speed], [10, 8, 8.4, 42, 1]);
  assert.equal([jetson.firstSeconds, jetson.steadySeconds, jetson.meanSeconds, jetson.totalSeconds], [17, 16.5, 16.6, 83]);
  assert.ok(Math.abs(jetson.speed! - 8.4 / 16.6) < 1e-12);
  assert.equal([box.firstSeconds, box.steadySeconds, box.meanSeconds, box.totalSeconds, box.speedBasis], [12, 6, 7.5, 30, 'epoch']);
  assert.ok(Math.abs(box.speed! - 1.12) < 1e-12);
  assert.ok(Math.abs(box.msPerStep - 4) < 1e-9, 'mean of 6.4, 3.2, 3.2, 3.2 ms/step');
  assert.is(later.speed, 2);
  assert.is(limited.steadySeconds, null);
  assert.is(limited.speedBasis, 'step');
  assert.ok(Math.abs(limited.speed! - 0.2) < 1e-3, `${limited.speed}`);
  assert.is(batch64.speed, null);

  const text = tableText(rows);
  const lines = text.split('\n');
  assert.match(lines[0], /^device +backend +epochs +1st epoch s +s\/epoch \(2\+\) +ms\/step +total s +test acc +vs Pi 5$/);
  assert.match(lines[2], /^Raspberry Pi 5 \(reference\) +tensorflow \(CPU\) +5 +10\.0 +8\.0 +4\.2 +42\.0 +0\.9776 +1\.00x$/);
  assert.match(lines[3], /^Jetson Nano \(reference\) +tensorflow \(GPU, Tegra X1\) +5 +17\.0 +16\.5 +9\.0 +83\.0 +0\.9774 +0\.51x$/);
  assert.match(lines[4], /^Test Box +cpu \(float32 js, 1 thread\) +4 +12\.0 +6\.0 +4\.0 +30\.0 +0\.9770 +1\.12x$/);
  assert.match(lines[5], /^Test Box +cpu \(float32 js, 1 thread\) +2, batch 64 +3\.0 +3\.0 .* -$/);
  assert.match(lines[6], /^Test Box +cpu \(float32 js, 1 thread\) +1, limited +2\.2 +- +22\.4 +2\.2 +0\.9770 +0\.20x \/step$/);
  assert.match(text, /42 s \/ 5 = 8\.4 s/);
  assert.match(tableMarkdown(rows), /^\| Raspberry Pi 5 \(reference\) \| tensorflow \(CPU\) \| 5 \| 10\.0 \| 8\.0 \| 4\.2 \| 42\.0 \| 0\.9776 \| 1\.00x \|$/m);
  // A small --data set (no --limit) trains partial epochs too: the record's trainImages says so.
  const small = run('Test Box', [0.2, 0.2]);
  small.trainImages = 3200;
  const [smallRow] = compareRows([{ file: 'small.json', record: small }]);
  assert.is(smallRow.partial, true);
  const full = run('Test Box', [2, 2]);
  full.trainImages = 60000;
  assert.is(compareRows([{ file: 'full.json', record: full }])[0].partial, false);
  // Without the Pi reference there is nothing to be relative to.
  const alone = compareRows([{ file: 'a.json', record: run('Test Box', [5, 5]) }]);
  assert.is(alone[0].speed, null);
  assert.match(tableText(alone), /No Raspberry Pi 5 reference record/);
});

// Well-formed XML, by hand: every tag closes in order, attributes are quoted, text holds no raw < or &.
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  let last = 0;
  for (const m of svg.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const between = svg.slice(last, m.index);
    assert.not.match(between, /<|&(?!(amp|lt|gt|quot|apos);)/, `bad text before ${m[0]}: ${between}`);
    last = m.index! + m[0].length;
    if (m[1]) assert.is(stack.pop(), m[2], `</${m[2]}> closes the wrong element`);
    else if (!m[4]) stack.push(m[2]);
  }
  assert.is(svg.slice(last).trim(), '', 'text after the root element, or a malformed tag');
  assert.equal(stack, [], 'unclosed elements');
}

test('chart: well-formed, self-contained SVG with a legend entry per plotted run and dashed references', () => {
  const loaded = sampleSet();
  loaded.push({ file: 'odd.json', record: run('Box <"A&B">', [7, 7]) });
  const { svg, plotted } = comparisonChart(compareRows(loaded));
  assert.ok(svg !== null);
  assertWellFormed(svg);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+" viewBox=/);
  assert.not.match(svg, /<script|href=|@import|url\(/);
  assert.is(plotted, 5, 'the --limit run and the batch-64 run are left out');
  for (const label of ['Raspberry Pi 5 — tensorflow (CPU) — reference', 'Jetson Nano — tensorflow (GPU, Tegra X1) — reference',
    'Test Box — cpu (float32 js, 1 thread) — 2026-11-26 — mean 7.5 s/epoch', 'Later Box', 'Box &lt;&quot;A&amp;B&quot;&gt;']) {
    assert.ok(svg.includes(`>${label}`), `legend entry ${label}`);
  }
  assert.is(svg.match(/<polyline [^>]*stroke-dasharray/g)?.length, 2, 'exactly the two references are dashed');
  assert.is(svg.match(/<polyline /g)?.length, 5);
  assert.match(svg, />epoch</);
  assert.match(svg, />training time per epoch \(seconds\)</);
});

test('chart: linear from zero within 10x, log scale beyond', () => {
  const linear = yScale(8, 28.1);
  assert.is(linear.log, false);
  assert.equal(linear.ticks, [0, 10, 20, 30]);
  const log = yScale(1.2, 28.1);
  assert.is(log.log, true);
  assert.equal(log.ticks, [1, 2, 5, 10, 20, 50]);
  assert.ok(log.y(1) > log.y(10) && log.y(10) > log.y(50), 'larger values higher up');
  const { svg } = comparisonChart(compareRows([...REFERENCE_RECORDS, { file: 'f.json', record: run('Fast', [1.2, 1.1]) }]));
  assert.match(svg!, /seconds, log scale/);
});

// The commands as a user runs them.
function command(script: string, args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('compare: table, chart file, one warning line per bad file, exit 0', () => {
  const dir = tempDir();
  for (const { file, record } of sampleSet()) writeFileSync(join(dir, file), JSON.stringify(record));
  writeFileSync(join(dir, 'broken.json'), '{');
  const r = command('bench/compare.ts', ['--results', dir]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, `compare: skipping ${join(dir, 'broken.json')}: not valid JSON\n`);
  assert.match(r.stdout, /^Raspberry Pi 5 \(reference\) .* 1\.00x$/m);
  assert.match(r.stdout, /chart: .*comparison\.svg \(4 runs; 2 left out: partial epochs or batch size not 32\)/);
  assert.match(readFileSync(join(dir, 'comparison.svg'), 'utf8'), /^<svg /);
  const empty = command('bench/compare.ts', ['--results', tempDir()]);
  assert.is(empty.code, 1);
  assert.match(empty.stderr, /^compare: no run records in .* \(npm run bench -- --save adds one\)\n$/);
  const bad = command('bench/compare.ts', ['--frobnicate']);
  assert.is(bad.code, 2);
  assert.is(bad.stderr, 'compare: unknown flag --frobnicate (see --help)\n');
});

test('bench: --save stores the record under --results; without it the run points at --save and compare', () => {
  const data = dataDir(64, 20);
  const dir = tempDir();
  const saved = command('bench/run.ts', ['--data', data, '--epochs', '1', '--save', '--results', dir, '--device', 'Test Box']);
  assert.is(saved.code, 0, saved.stderr);
  const files = readdirSync(dir);
  assert.is(files.length, 1);
  assert.match(files[0], /^\d{4}-\d\d-\d\d-test-box-cpu-float32-js-fast-kernels\.json$/);
  assert.match(saved.stdout, new RegExp(`Saved: .*${files[0]}\\nCompare: \`npm run compare\``));
  const [{ record }] = loadResults(dir, (w) => assert.unreachable(w));
  assert.is(record.device, 'Test Box');
  assert.is(record.epochs.length, 1);
  const early = command('bench/run.ts', ['--data', data, '--epochs', '1', '--save', '--results', join(dir, files[0], 'sub')]);
  assert.is(early.code, 1);
  assert.is(early.stdout, '', 'fails before training');
  assert.is(early.stderr, `bench: cannot save the run record (ENOTDIR): ${join(dir, files[0], 'sub')}\n`);
  const onFile = command('bench/run.ts', ['--data', data, '--epochs', '1', '--save', '--results', join(dir, files[0])]);
  assert.is(onFile.code, 1);
  assert.is(onFile.stdout, '', 'a file given as the results folder fails before training');
  assert.is(onFile.stderr, `bench: cannot save the run record (ENOTDIR): ${join(dir, files[0])}\n`);
  const plain = command('bench/run.ts', ['--data', data, '--epochs', '1']);
  assert.is(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /npm run bench -- --save/);
  assert.match(plain.stdout, /npm run compare/);
});

test.run();
