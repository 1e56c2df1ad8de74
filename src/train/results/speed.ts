// Speed against a reference run, like with like. The first epoch carries warm-up (the JIT compiling
// the kernels; the Pi's first epoch took 10 s against 8 s for the others), and on a short --limit
// epoch warm-up is most of it. So with two or more epochs the steady ones (2 and later) are compared
// with the reference's steady ones; a single whole epoch with the reference's first; a single
// partial epoch not at all. The bench summary and `npm run compare` both use this rule.

export const REFERENCE_STEPS = 1875; // 60000 images / batch 32

export interface Speed {
  ratio: number | null; // > 1: faster than the reference; null: not compared (see basis)
  basis: 'steady' | 'first' | 'warm-up only' | 'batch size' | 'no epoch';
  perStep: boolean; // partial epochs (--limit, a small --data set): ms a step, not s an epoch
  ours: number; // s/epoch, or ms/step when perStep
  theirs: number;
}

export interface TimedEpoch {
  seconds: number;
  msPerStep: number;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

// epochs: this run's completed epochs; partial: they saw fewer than 60000 images; reference: the
// reference's epoch seconds (whole epochs of REFERENCE_STEPS steps at batch 32).
export function speedAgainst(epochs: TimedEpoch[], partial: boolean, batchSize: number, reference: number[]): Speed {
  const none = (basis: Speed['basis']): Speed => ({ ratio: null, basis, perStep: partial, ours: 0, theirs: 0 });
  if (batchSize !== 32) return none('batch size');
  if (epochs.length === 0) return none('no epoch');
  if (epochs.length === 1 && partial) return none('warm-up only');
  const basis = epochs.length >= 2 ? 'steady' : 'first';
  const ourEpochs = basis === 'steady' ? epochs.slice(1) : epochs;
  const theirSeconds = basis === 'steady' ? mean(reference.slice(1)) : reference[0];
  const ours = partial ? mean(ourEpochs.map((e) => e.msPerStep)) : mean(ourEpochs.map((e) => e.seconds));
  const theirs = partial ? (theirSeconds * 1000) / REFERENCE_STEPS : theirSeconds;
  return { ratio: ours > 0 ? theirs / ours : null, basis, perStep: partial, ours, theirs };
}

// "2.53 times faster" / "1.20 times slower": always a ratio of at least 1, named by its direction.
export function speedWords(ours: number, theirs: number): string {
  const ratio = theirs / ours;
  const r = ratio >= 1 ? ratio : 1 / ratio;
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)} times ${ratio >= 1 ? 'faster' : 'slower'}`;
}
