// The layout as a contract: imports point down (host -> train -> nn -> tensor), never up and never
// in a circle (type imports included); the portable core uses nothing of Node's; folders and files
// stay small enough to read.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname, resolve, relative } from 'node:path';

const ROOT = resolve('src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith('.ts') ? [path] : [];
  });
}

// Every module a file imports: static, type-only, re-exports and dynamic import('...').
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)];
  return found.map((m) => m[1] ?? m[2]);
}

const LAYERS = ['tensor', 'nn', 'train', 'node', 'web'] as const;
const RANK: Record<string, number> = { tensor: 0, nn: 1, train: 2, node: 3, web: 3 };
const layerOf = (file: string) => relative(ROOT, file).split('/')[0];
const ALL = files(ROOT);

test('architecture: every source file sits in a known layer', () => {
  for (const file of ALL) assert.ok((LAYERS as readonly string[]).includes(layerOf(file)), relative(ROOT, file));
});

test('architecture: imports point down, and the two hosts never import each other', () => {
  const wrong: string[] = [];
  for (const file of ALL) {
    for (const spec of imports(file).filter((s) => s.startsWith('.'))) {
      const target = resolve(dirname(file), spec);
      const [from, to] = [layerOf(file), layerOf(target)];
      if (RANK[to] > RANK[from] || (RANK[to] === RANK[from] && from !== to)) wrong.push(`${relative(ROOT, file)} -> ${relative(ROOT, target)}`);
    }
  }
  assert.equal(wrong, []);
});

test('architecture: no import cycles, type imports included', () => {
  const graph = new Map(ALL.map((f) => [f, imports(f).filter((s) => s.startsWith('.')).map((s) => resolve(dirname(f), s))]));
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') { cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(ROOT, p)).join(' -> ')); return; }
    state.set(f, 'open');
    for (const g of graph.get(f) ?? []) visit(g, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of ALL) visit(f, []);
  assert.equal(cycles, []);
});

test('architecture: the portable core (tensor, nn, train) uses no node: module, process or Buffer', () => {
  const NODE_BUILTINS = /^(node:|fs$|os$|path$|url$|worker_threads$|child_process$|v8$|module$)/;
  const wrong: string[] = [];
  for (const file of ALL.filter((f) => RANK[layerOf(f)] <= RANK.train)) {
    for (const spec of imports(file)) if (NODE_BUILTINS.test(spec)) wrong.push(`${relative(ROOT, file)} imports ${spec}`);
    const code = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, ''); // comments may name them
    for (const [word, use] of [['process', /(^|[^\w.])process\./], ['Buffer', /(^|[^\w.])Buffer\b/], ['require', /(^|[^\w.])require\(/]] as const) {
      if (use.test(code)) wrong.push(`${relative(ROOT, file)} uses ${word}`);
    }
  }
  assert.equal(wrong, []);
});

test('architecture: at most about 10 source files a folder, 350 lines a file', () => {
  const perFolder = new Map<string, number>();
  for (const f of ALL) perFolder.set(dirname(f), (perFolder.get(dirname(f)) ?? 0) + 1);
  for (const [dir, n] of perFolder) assert.ok(n <= 11, `${relative(ROOT, dir) || 'src'} holds ${n} files`);
  for (const f of ALL) {
    const lines = readFileSync(f, 'utf8').split('\n').length;
    assert.ok(lines <= 350, `${relative(ROOT, f)}: ${lines} lines`);
  }
});

test('docs: every relative link in the README and docs/ names a file that exists, and its #L lines are in it', () => {
  const broken: string[] = [];
  for (const doc of ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f))]) {
    for (const [, target] of readFileSync(doc, 'utf8').matchAll(/\]\(([^)#\s]+(?:#L\d+(?:-L\d+)?)?)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue; // http:, mailto:
      const [file, lines] = target.split('#');
      const path = resolve(dirname(doc), file);
      if (!existsSync(path)) { broken.push(`${doc}: ${target}`); continue; }
      const last = Number(/L(\d+)$/.exec(lines ?? '')?.[1] ?? 0);
      if (last > 0 && last > readFileSync(path, 'utf8').split('\n').length) broken.push(`${doc}: ${target} (the file is shorter)`);
    }
  }
  assert.equal(broken, []);
});

test.run();
