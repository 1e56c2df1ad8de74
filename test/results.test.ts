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
import { yScale, lineStyles } from '../src/train/results/chart.ts';
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
    { file: 'a-box.json', record: run('Test Box', [12, 6, 6, 6]) }, // steady 6 s: 8.0 / 6 = 1.33x
    { file: 'limited.json', record: run('Test Box', [2.24], { limit: 3200 }) }, // one epoch of 100 steps: mostly warm-up, no ratio
    { file: 'batch64.json', record: run('Test Box', [3, 3], { batchSize: 64 }) },
    ...REFERENCE_RECORDS,
  ];
}

test('table: first epoch vs steady state, date, relative speed to the Pi 5 steady epochs against steady epochs', () => {
  const rows = compareRows(sampleSet());
  assert.equal(rows.map((r) => r.file), [
    'reference-raspberry-pi-5-tensorflow-cpu.json', 'reference-jetson-nano-tensorflow-gpu.json',
    'a-box.json', 'batch64.json', 'limited.json', 'z-later.json',
  ]);
  const [pi, jetson, box, batch64, limited, later] = rows;
  assert.equal([pi.firstSeconds, pi.steadySeconds, pi.meanSeconds, pi.totalSeconds, pi.speed, pi.speedFrom], [10, 8, 8.4, 42, 1, 'steady']);
  assert.equal([jetson.firstSeconds, jetson.steadySeconds, jetson.meanSeconds, jetson.totalSeconds], [17, 16.5, 16.6, 83]);
  assert.ok(Math.abs(jetson.speed! - 8 / 16.5) < 1e-12);
  assert.equal([box.firstSeconds, box.steadySeconds, box.meanSeconds, box.totalSeconds, box.speedBasis], [12, 6, 7.5, 30, 'epoch']);
  assert.ok(Math.abs(box.speed! - 8 / 6) < 1e-12, 'epochs 2-4 (6 s) against the Pi\'s 2-5 (8 s), not the means');
  assert.ok(Math.abs(box.msPerStep - 4) < 1e-9, 'mean of 6.4, 3.2, 3.2, 3.2 ms/step');
  assert.ok(Math.abs(later.speed! - 8 / 4.2) < 1e-12);
  assert.is(limited.steadySeconds, null);
  assert.equal([limited.speed, limited.speedBasis, limited.speedFrom], [null, null, null], 'one partial epoch is mostly warm-up');
  assert.is(batch64.speed, null);

  // Two partial epochs compare per step, the second against the Pi's steady 8.0 s / 1875 = 4.27 ms;
  // one whole epoch compares with the Pi's first (10 s), warm-up on both sides.
  const more = compareRows([...REFERENCE_RECORDS,
    { file: 'limited2.json', record: run('Short Box', [2.24, 1.28], { limit: 3200 }) },
    { file: 'one.json', record: run('One Box', [5]), yours: true }]);
  const [limited2, one] = more.slice(2);
  assert.is(limited2.speedBasis, 'step');
  assert.ok(Math.abs(limited2.speed! - (8000 / 1875) / 12.8) < 1e-12, `${limited2.speed}`);
  assert.equal([one.speed, one.speedFrom, one.yours], [2, 'first', true]);
  const moreText = tableText(more);
  assert.match(moreText, /^Short Box +cpu \(float32 js, 1 thread\) +2026-11-26 +2, limited +2\.2 +1\.3 +17\.6 +3\.5 +0\.9770 +0\.33x \/step$/m);
  assert.match(moreText, /^One Box \(yours\) +cpu \(float32 js, 1 thread\) +2026-11-26 +1 +5\.0 +- +2\.7 +5\.0 +0\.9770 +2\.00x 1st$/m);
  assert.match(moreText, /^1st: a run of one epoch, compared with the Pi's first epoch/m);
  assert.match(moreText, /^yours: a run saved on this checkout/m);

  const text = tableText(rows);
  const lines = text.split('\n');
  assert.match(lines[0], /^device +backend +date +epochs +1st epoch s +s\/epoch \(2\+\) +ms\/step +total s +test acc +vs Pi 5$/);
  assert.match(lines[2], /^Raspberry Pi 5 \(reference\) +tensorflow \(CPU\) +- +5 +10\.0 +8\.0 +4\.2 +42\.0 +0\.9776 +1\.00x$/);
  assert.match(lines[3], /^Jetson Nano \(reference\) +tensorflow \(GPU, Tegra X1\) +2020-12-30 +5 +17\.0 +16\.5 +9\.0 +83\.0 +0\.9774 +0\.48x$/);
  assert.match(lines[4], /^Test Box +cpu \(float32 js, 1 thread\) +2026-11-26 +4 +12\.0 +6\.0 +4\.0 +30\.0 +0\.9770 +1\.33x$/);
  assert.match(lines[5], /^Test Box +cpu \(float32 js, 1 thread\) +2026-11-26 +2, batch 64 +3\.0 +3\.0 .* -$/);
  assert.match(lines[6], /^Test Box +cpu \(float32 js, 1 thread\) +2026-11-26 +1, limited +2\.2 +- +22\.4 +2\.2 +0\.9770 +-$/);
  assert.match(lines[7], /^Later Box +cpu \(float32 js, 1 thread\) +2026-12-01 +2 /, 'the date tells apart rows that are otherwise alike');
  assert.match(text, /its epochs 2-5: 8\.0 s/);
  assert.match(text, /^-: one partial epoch is mostly warm-up/m);
  assert.not.match(text, /yours/, 'no row is the user\'s');
  assert.match(tableMarkdown(rows), /^\| Raspberry Pi 5 \(reference\) \| tensorflow \(CPU\) \| - \| 5 \| 10\.0 \| 8\.0 \| 4\.2 \| 42\.0 \| 0\.9776 \| 1\.00x \|$/m);
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

test('chart: well-formed, self-contained SVG; a legend entry per plotted run, fastest first; lines apart by shape and dash, not colour alone', () => {
  const loaded = sampleSet();
  loaded.push({ file: 'odd.json', record: run('Box <"A&B">', [7, 7]) });
  const { svg, plotted } = comparisonChart(compareRows(loaded));
  assert.ok(svg !== null);
  assertWellFormed(svg);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+" viewBox=/);
  assert.not.match(svg, /<script|href=|@import|url\(/);
  assert.is(plotted, 5, 'the --limit run and the batch-64 run are left out');
  const legend = [...svg.matchAll(/<text x="\d+" y="[\d.]+" dy="0\.35em" fill="#222">([^<]*)</g)].map((m) => m[1]);
  assert.equal(legend, [
    'Later Box — cpu (float32 js, 1 thread) — 2026-12-01 — epochs 2+: 4.2 s/epoch',
    'Test Box — cpu (float32 js, 1 thread) — 2026-11-26 — epochs 2+: 6.0 s/epoch',
    'Box &lt;&quot;A&amp;B&quot;&gt; — cpu (float32 js, 1 thread) — 2026-11-26 — epochs 2+: 7.0 s/epoch',
    'Raspberry Pi 5 — tensorflow (CPU) — reference — epochs 2+: 8.0 s/epoch',
    'Jetson Nano — tensorflow (GPU, Tegra X1) — reference — epochs 2+: 16.5 s/epoch',
  ], 'fastest first, by steady seconds per epoch');
  const lines = [...svg.matchAll(/<polyline [^>]*?stroke="([^"]+)" stroke-width="2"(?: stroke-dasharray="([^"]+)")?\/>/g)].map((m) => ({ color: m[1], dash: m[2] ?? '' }));
  assert.is(lines.length, 5);
  assert.is(lines.filter((l) => l.dash === '7 4').length, 2, 'the two references, and only they, long-dashed');
  assert.is(new Set(lines.map((l) => l.dash)).size, 4, 'the three measured runs: solid and two other dashes');
  const styles = lineStyles(compareRows(loaded).filter((r) => !r.partial && r.batchSize === 32).map((r) => ({ label: r.device, reference: r.reference, values: r.seconds })));
  const keys = styles.map((st) => `${st.shape} ${st.dash} ${st.hollow}`);
  assert.is(new Set(keys).size, keys.length, `every line differs in marker or dash: ${keys.join(', ')}`);
  const manyStyles = lineStyles(Array.from({ length: 20 }, (_, i) => ({ label: `${i}`, reference: false, values: [1] })));
  assert.is(new Set(manyStyles.map((st) => `${st.shape} ${st.dash}`)).size, 20, 'twenty runs, twenty shape-and-dash pairs');
  for (const shape of ['<circle ', '<rect x=', '<polygon ']) assert.ok(svg.includes(shape), `${shape} markers`);
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

test('compare: the published records and the user\'s (marked yours), the chart in the user\'s folder, one warning line per bad file, exit 0', () => {
  const published = tempDir();
  const mine = join(tempDir(), 'local'); // made when the chart is written
  for (const { file, record } of sampleSet()) writeFileSync(join(published, file), JSON.stringify(record));
  writeFileSync(join(published, 'broken.json'), '{');
  const before = readdirSync(published).sort();
  const r = command('bench/compare.ts', ['--published', published, '--results', mine]);
  assert.is(r.code, 1, 'a --results folder given by name must exist');
  assert.match(r.stderr, /^compare: skipping .*broken\.json: not valid JSON\ncompare: cannot read the results folder \(ENOENT\): /);
  saveRecord(mine, run('My Box', [3, 2, 2]));
  const ok = command('bench/compare.ts', ['--published', published, '--results', mine]);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(ok.stderr, `compare: skipping ${join(published, 'broken.json')}: not valid JSON\n`);
  assert.match(ok.stdout, /^Raspberry Pi 5 \(reference\) .* 1\.00x$/m);
  assert.match(ok.stdout, /^My Box \(yours\) +cpu .* 4\.00x$/m);
  assert.is(ok.stdout.match(/\(yours\)/g)?.length, 1, 'only the user\'s run is marked');
  assert.match(ok.stdout, /chart: .*comparison\.svg \(5 runs; 2 left out: partial epochs or batch size not 32\)/);
  assert.match(readFileSync(join(mine, 'comparison.svg'), 'utf8'), /^<svg /);
  assert.equal(readdirSync(published).sort(), before, 'nothing written among the published records');
  const out = join(tempDir(), 'chart.svg');
  const elsewhere = command('bench/compare.ts', ['--published', published, '--results', mine, '--out', out]);
  assert.is(elsewhere.code, 0, elsewhere.stderr);
  assert.match(readFileSync(out, 'utf8'), /^<svg /);
  const empty = command('bench/compare.ts', ['--published', tempDir(), '--results', tempDir()]);
  assert.is(empty.code, 1);
  assert.match(empty.stderr, /^compare: no run records in .* or .* \(npm run bench -- --save adds one\)\n$/);
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
