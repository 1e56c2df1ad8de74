// --profile: where a training step's time goes, summed per phase on thread 0 and printed per epoch.
// With worker threads, waiting for the slowest thread shows up in the phase that ends with the wait.

export const PHASES = ['data', 'forward', 'loss', 'backward', 'optimizer'] as const;
export type Phase = (typeof PHASES)[number];

export class StepProfile {
  readonly ms: Record<Phase, number> = { data: 0, forward: 0, loss: 0, backward: 0, optimizer: 0 };
  steps = 0;

  // Adds the time since `since` to a phase and returns now, to chain phases.
  add(phase: Phase, since: number): number {
    const now = performance.now();
    this.ms[phase] += now - since;
    return now;
  }

  // "profile: data 0.031 | forward 0.412 | ... ms/step", then starts over.
  line(): string {
    const n = Math.max(this.steps, 1);
    const total = PHASES.reduce((s, p) => s + this.ms[p], 0);
    const parts = PHASES.map((p) => `${p} ${(this.ms[p] / n).toFixed(3)}`);
    const text = `profile: ${parts.join(' | ')} | total ${(total / n).toFixed(3)} ms/step over ${this.steps} steps`;
    for (const p of PHASES) this.ms[p] = 0;
    this.steps = 0;
    return text;
  }
}
