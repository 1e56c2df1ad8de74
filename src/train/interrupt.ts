// Ctrl-C during a run. The first press asks training to stop at the next step boundary; the run
// then prints what it has, keeps its record and weights, and exits 130. A later press exits at once.
//
// One keypress can reach us more than once: `npm run` forwards the SIGINT it got to its child, which
// the terminal has signalled already, and the tsx CLI re-sends it when the child is slow to answer.
// Presses handled within ECHO_MS of the first are those echoes, not a second press, and are ignored.
// (Node runs signal handlers between steps, so presses during one long step count as one.)

export const EXIT_INTERRUPTED = 130; // 128 + SIGINT, what a shell reports for a process stopped by Ctrl-C
export const ECHO_MS = 250;

export class Interrupt {
  private firstAt: number | null = null;
  // What a first press does; while it is null (before or after training), a press exits at once.
  onFirst: (() => void) | null = null;

  constructor(
    private readonly exitNow: () => void = exitWithMessage,
    private readonly echoMs = ECHO_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get pressed(): boolean {
    return this.firstAt !== null;
  }

  install(): void {
    process.on('SIGINT', this.handle);
  }

  uninstall(): void {
    process.removeListener('SIGINT', this.handle);
  }

  // Resolves once the echo window after the first press is over (at once if there was none). Exit only
  // then: while Node shuts down it gives SIGINT back its default action, so an echo landing during
  // the exit would kill the process by the signal instead of leaving it with 130.
  echoesOver(): Promise<void> {
    const left = this.firstAt === null ? 0 : this.firstAt + this.echoMs - this.now();
    return left > 0 ? new Promise((resolve) => setTimeout(resolve, left)) : Promise.resolve();
  }

  readonly handle = (): void => {
    const t = this.now();
    if (this.firstAt === null && this.onFirst !== null) {
      this.firstAt = t;
      this.onFirst();
      return;
    }
    if (this.firstAt !== null && t - this.firstAt < this.echoMs) return;
    this.exitNow();
  };
}

function exitWithMessage(): never {
  process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}bench: interrupted, exiting at once\n`);
  process.exit(EXIT_INTERRUPTED);
}
