// `npm run compare`: no training. Reads the project's published run records (results/) and the
// user's own (results/local/), prints the comparison table with the user's rows marked, and writes
// the chart where it dirties no tracked file (results/local/comparison.svg) unless --out says where.

import { writeFileSync, renameSync, unlinkSync, existsSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { loadResults, writeReferenceRecords, makeDir, RESULTS_DIR, LOCAL_RESULTS_DIR } from '../src/node/results_dir.ts';
import { compareRows, tableText, tableMarkdown, comparisonChart } from '../src/train/results/compare.ts';
import type { LoadedRecord } from '../src/train/results/records.ts';
import { UserError, EXIT } from '../src/train/errors.ts';
import { runCommand } from '../src/node/cli/command.ts';

interface CompareOptions {
  published: string;
  results: string | null; // null = results/local/, which may not exist yet
  out: string | null; // null = <results>/comparison.svg
  markdown: boolean;
  writeReferences: boolean;
  help: boolean;
}

const HELP = `Usage: npm run compare -- [flags]

Reads the project's published run records and your own (*.json), prints a table (your runs marked
"yours") and writes a chart (SVG).

Flags:
  --published DIR      the project's records: the references and its measured devices (default: results/)
  --results DIR        your runs, as npm run bench -- --save stores them (default: results/local/, git-ignored)
  --out FILE           where to write the chart (default: the --results folder's comparison.svg;
                       --out results/comparison.svg refreshes the published chart)
  --markdown           print the table as Markdown (for the README)
  --write-references   (re)write the two reference records into the --published folder first
  --help               print this help and exit
`;

function usage(message: string): UserError {
  return new UserError(`${message} (see --help)`, EXIT.usage);
}

const VALUE_FLAGS = ['--published', '--results', '--out'];

function parse(argv: readonly string[]): CompareOptions {
  const o: CompareOptions = { published: RESULTS_DIR, results: null, out: null, markdown: false, writeReferences: false, help: false };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const flag = arg === '-h' ? '--help' : eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    if (seen.has(flag)) throw usage(`${flag} given more than once`);
    seen.add(flag);
    if (VALUE_FLAGS.includes(flag)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw usage(`${flag} needs a value`);
      if (flag === '--published') o.published = value;
      else if (flag === '--results') o.results = value;
      else o.out = value;
    } else if (flag === '--markdown' || flag === '--write-references' || flag === '--help') {
      if (eq > 0 && arg.startsWith('--')) throw usage(`${flag} takes no value`);
      if (flag === '--markdown') o.markdown = true;
      else if (flag === '--write-references') o.writeReferences = true;
      else o.help = true;
    } else {
      throw usage(arg.startsWith('-') ? `unknown flag ${flag}` : `unexpected argument "${arg}"`);
    }
  }
  return o;
}

// Paths as the user would type them: relative to where they ran the command, when that is shorter.
function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r && !r.startsWith('..') && r.length < path.length ? r : path;
}

// The published records, then the user's (marked). The default user folder may not exist yet; a
// folder named twice is read once, as published.
function loadAll(o: CompareOptions): LoadedRecord[] {
  const warn = (line: string) => process.stderr.write(`compare: ${line}\n`);
  const published = loadResults(shown(o.published), warn);
  const mine = o.results ?? LOCAL_RESULTS_DIR;
  if (resolve(mine) === resolve(o.published) || (o.results === null && !existsSync(mine))) return published;
  return [...published, ...loadResults(shown(mine), warn).map((x) => ({ ...x, yours: true }))];
}

function main(): number {
  const o = parse(process.argv.slice(2));
  if (o.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (o.writeReferences) {
    for (const path of writeReferenceRecords(o.published)) process.stdout.write(`wrote ${shown(path)}\n`);
  }
  const loaded = loadAll(o);
  if (loaded.length === 0) throw new UserError(`no run records in ${shown(o.published)} or ${shown(o.results ?? LOCAL_RESULTS_DIR)} (npm run bench -- --save adds one)`, EXIT.data);
  const rows = compareRows(loaded);
  process.stdout.write(o.markdown ? tableMarkdown(rows) : tableText(rows));

  const { svg, plotted } = comparisonChart(rows);
  const out = o.out ?? join(o.results ?? LOCAL_RESULTS_DIR, 'comparison.svg');
  if (svg === null) {
    process.stdout.write('\nno chart: no record trained whole epochs at batch 32\n');
    return 0;
  }
  const temp = `${out}.${process.pid}.tmp`;
  try {
    if (o.out === null) makeDir(dirname(out)); // the user's folder, made on first use; an --out folder must exist
    writeFileSync(temp, svg);
    renameSync(temp, out);
  } catch (e) {
    try { unlinkSync(temp); } catch { /* never written */ }
    throw new UserError(`cannot write the chart (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${out}`, EXIT.data);
  }
  const left = rows.length - plotted;
  process.stdout.write(`\nchart: ${shown(out)} (${plotted} run${plotted === 1 ? '' : 's'}${left > 0 ? `; ${left} left out: partial epochs or batch size not 32` : ''})\n`);
  return 0;
}

await runCommand('compare', main);
