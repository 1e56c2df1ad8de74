// `npm run compare`: no training. Reads every run record in results/, prints the comparison table
// and writes the chart results/comparison.svg.

import { writeFileSync, renameSync, unlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadResults, writeReferenceRecords, RESULTS_DIR } from '../src/node/results_dir.ts';
import { compareRows, tableText, tableMarkdown, comparisonChart } from '../src/train/results/compare.ts';
import { UserError, EXIT } from '../src/train/errors.ts';
import { runCommand } from '../src/node/cli/command.ts';

interface CompareOptions {
  results: string;
  out: string | null; // null = <results>/comparison.svg
  markdown: boolean;
  writeReferences: boolean;
  help: boolean;
}

const HELP = `Usage: npm run compare -- [flags]

Reads every run record (*.json) in the results folder, prints a table and writes a chart (SVG).

Flags:
  --results DIR        the folder to read (default: results/ in the project)
  --out FILE           where to write the chart (default: DIR/comparison.svg)
  --markdown           print the table as Markdown (for the README)
  --write-references   (re)write the two reference records into DIR first
  --help               print this help and exit
`;

function usage(message: string): UserError {
  return new UserError(`${message} (see --help)`, EXIT.usage);
}

function parse(argv: readonly string[]): CompareOptions {
  const o: CompareOptions = { results: RESULTS_DIR, out: null, markdown: false, writeReferences: false, help: false };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const flag = arg === '-h' ? '--help' : eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    if (seen.has(flag)) throw usage(`${flag} given more than once`);
    seen.add(flag);
    if (flag === '--results' || flag === '--out') {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw usage(`${flag} needs a value`);
      if (flag === '--results') o.results = value;
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

function main(): number {
  const o = parse(process.argv.slice(2));
  if (o.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (o.writeReferences) {
    for (const path of writeReferenceRecords(o.results)) process.stdout.write(`wrote ${shown(path)}\n`);
  }
  const loaded = loadResults(shown(o.results), (line) => process.stderr.write(`compare: ${line}\n`));
  if (loaded.length === 0) throw new UserError(`no run records in ${shown(o.results)} (npm run bench -- --save adds one)`, EXIT.data);
  const rows = compareRows(loaded);
  process.stdout.write(o.markdown ? tableMarkdown(rows) : tableText(rows));

  const { svg, plotted } = comparisonChart(rows);
  const out = o.out ?? join(o.results, 'comparison.svg');
  if (svg === null) {
    process.stdout.write('\nno chart: no record trained whole epochs at batch 32\n');
    return 0;
  }
  const temp = `${out}.${process.pid}.tmp`;
  try {
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
