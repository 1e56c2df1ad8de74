// Test helpers: seeded random buffers, central-difference gradients in float64 (src/nn/gradcheck.ts), a relative-error
// comparison that reports the worst element, and temporary folders that clean up after themselves.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRng, nextFloat, type Rng } from '../src/tensor/rng.ts';

export { makeRng };
// The gradient check's own float64 buffers and centred differences (npm run gradcheck uses them too).
export { f64, numericGrad } from '../src/nn/gradcheck.ts';
import { f64 } from '../src/nn/gradcheck.ts';

export function randomF64(n: number, rng: Rng, lo = -1, hi = 1): Float32Array {
  const a = f64(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * nextFloat(rng);
  return a;
}

export function randomF32(n: number, rng: Rng, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * nextFloat(rng);
  return a;
}

// Values in ±[0.1, 1]: never near ReLU's kink at 0.
export function awayFromZero(n: number, rng: Rng): Float32Array {
  const a = f64(n);
  for (let i = 0; i < n; i++) a[i] = (0.1 + 0.9 * nextFloat(rng)) * (nextFloat(rng) < 0.5 ? -1 : 1);
  return a;
}

export function randomLabels(n: number, classes: number, rng: Rng): Uint8Array {
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.floor(nextFloat(rng) * classes);
  return y;
}

export function relError(a: number, b: number, tiny = 1e-12): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), tiny);
}

// Worst relative error over all elements, with tiny absolute differences forgiven (both near zero).
export function worstMismatch(
  actual: ArrayLike<number>, expected: ArrayLike<number>, absFloor = 1e-9,
): { index: number; error: number; actual: number; expected: number } {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let worst = { index: -1, error: 0, actual: 0, expected: 0 };
  for (let i = 0; i < actual.length; i++) {
    if (Number.isNaN(actual[i]) || Number.isNaN(expected[i])) return { index: i, error: Infinity, actual: actual[i], expected: expected[i] };
    if (Math.abs(actual[i] - expected[i]) < absFloor) continue;
    const e = relError(actual[i], expected[i]);
    if (e > worst.error) worst = { index: i, error: e, actual: actual[i], expected: expected[i] };
  }
  return worst;
}

// Throws with the worst index and a few pairs when any element is further off than tol.
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string, absFloor = 1e-9): void {
  const w = worstMismatch(actual, expected, absFloor);
  if (w.error > tol) {
    const pairs = Array.from({ length: Math.min(4, actual.length) }, (_, i) => `[${i}] ${actual[i]} vs ${expected[i]}`).join(', ');
    throw new Error(`${what}: worst relative error ${w.error.toExponential(2)} > ${tol} at index ${w.index} (${w.actual} vs ${w.expected}); first pairs: ${pairs}`);
  }
}

// L = Σ out·dout, the scalar whose gradient w.r.t. out is dout.
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

// A fresh folder under the system's temporary one, removed when the test process exits.
const tempDirs: string[] = [];
export function tempDir(prefix = 'mnist-ts-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (tempDirs.push(dir) === 1) process.on('exit', () => { for (const d of tempDirs) rmSync(d, { recursive: true, force: true }); });
  return dir;
}
