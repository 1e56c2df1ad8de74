// Where the project is on disk. The same code runs from src/ (tsx, or Node's own TypeScript) and
// bundled from dist/, so it finds the root by walking up to the project's package.json.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'mnist-ts') return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the mnist-ts project above ${from}`);
  }
}

export const PROJECT_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
