// The results folders. results/ holds what the project publishes: the two records transcribed from
// the reference log, the project's measured devices and their chart. results/local/ (git-ignored) holds
// the user's own runs: `--save` stores them there, and `npm run compare` writes its chart there, so
// a checkout stays clean. `npm run compare` reads both and marks the user's rows.

import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, linkSync, unlinkSync, renameSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import type { RunRecord } from '../train/results/record.ts';
import { recordFileName, recordProblem, REFERENCE_RECORDS, type LoadedRecord } from '../train/results/records.ts';
import { UserError, EXIT } from '../train/errors.ts';
import { PROJECT_ROOT } from './paths.ts';

// results/ at the project root, wherever the command is started from: the published records.
export const RESULTS_DIR = join(PROJECT_ROOT, 'results');
// The user's own runs and chart, git-ignored.
export const LOCAL_RESULTS_DIR = join(RESULTS_DIR, 'local');

// Writes the record under a free name (-2, -3... on repeated runs) and returns the path. The bytes go to
// a temporary file first and are then hard-linked to the final name, which fails instead of overwriting
// if the name is taken: a reader never sees half a file, and two runs never clobber each other.
export function saveRecord(dir: string, record: RunRecord, name = recordFileName(record)): string {
  const temp = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    makeDir(dir);
    writeFileSync(temp, JSON.stringify(record, null, 2) + '\n', { flush: true }); // on disk before it gets a name
    for (let n = 1; ; n++) {
      const path = join(dir, n === 1 ? name : name.replace(/\.json$/, `-${n}.json`));
      try {
        linkSync(temp, path);
        return path;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  } catch (e) {
    throw new UserError(`cannot save the run record (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${dir}`, EXIT.data);
  } finally {
    try { unlinkSync(temp); } catch { /* never written */ }
  }
}

// mkdir -p. Node's own recursive mkdir spins forever where a parent exists but cannot hold children
// (under /proc, through a dangling symlink), so we walk the path ourselves and stop at the first error.
export function makeDir(dir: string): void {
  const chain: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    chain.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of chain) {
    if (existsSync(d)) continue;
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

// Checked before training, so an unwritable results folder fails in a second, not after the run.
export function prepareResultsDir(dir: string): void {
  try {
    makeDir(dir);
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new UserError(`cannot save the run record (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${dir}`, EXIT.data);
  }
}

// Every *.json record in dir, sorted by file name. A file that is not JSON or not a run record is
// skipped with a one-line warning naming it; only a missing or unreadable folder is an error.
export function loadResults(dir: string, warn: (line: string) => void): LoadedRecord[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  } catch (e) {
    throw new UserError(`cannot read the results folder (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${dir}`, EXIT.data);
  }
  const loaded: LoadedRecord[] = [];
  for (const file of names) {
    const path = join(dir, file);
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      const why = e instanceof SyntaxError ? 'not valid JSON' : `unreadable (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
      warn(`skipping ${path}: ${why}`);
      continue;
    }
    const problem = recordProblem(value);
    if (problem !== null) {
      warn(`skipping ${path}: ${problem}`);
      continue;
    }
    loaded.push({ file, record: value as RunRecord });
  }
  return loaded;
}

// (Re)writes the two reference records into dir (temp file + rename); returns their paths.
export function writeReferenceRecords(dir: string): string[] {
  return REFERENCE_RECORDS.map(({ file, record }) => {
    const path = join(dir, file);
    const temp = join(dir, `.${file}.${process.pid}.tmp`);
    try {
      makeDir(dir);
      writeFileSync(temp, JSON.stringify(record, null, 2) + '\n');
      renameSync(temp, path); // replaces the old file in one step
    } catch (e) {
      throw new UserError(`cannot write the reference record (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${path}`, EXIT.data);
    }
    return path;
  });
}
