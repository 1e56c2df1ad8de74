// Ctrl-C (SIGINT) or SIGTERM (`kill`, `timeout`, `docker stop`) during a run. The first signal asks
// training to stop at the next step boundary; the run then prints what it has, keeps its record and
// weights, and exits 130 (SIGINT) or 143 (SIGTERM). A later signal exits at once.
//
// One keypress can reach us more than once: `npm run` forwards the SIGINT it got to its child, which
// the terminal has signalled already, and the tsx CLI re-sends it when the child is slow to answer
// (and a SIGTERM sent to a whole process group reaches us both directly and through `npm run`).
// Signals that arrived within ECHO_MS of the first are those echoes, not a second press, and are
// ignored. (Node runs signal handlers between steps, so presses during one long step count as one.)

export const EXIT_INTERRUPTED = 130; // 128 + SIGINT, what a shell reports for a process stopped by Ctrl-C
export const EXIT_TERMINATED = 143; // 128 + SIGTERM
export const ECHO_MS = 250;
const HEARTBEAT_MS = 10;

export type StopSignal = 'SIGINT' | 'SIGTERM';
const STOP_SIGNALS: StopSignal[] = ['SIGINT', 'SIGTERM'];

export function exitCodeFor(signal: StopSignal): number {
  return signal === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED;
}

export class Interrupt {
  private firstAt: number | null = null;
  private first: StopSignal = 'SIGINT';
  // The event loop's last two turns, from a heartbeat timer. A signal is handled only when the loop
  // has a turn, so one handled now may have waited through a busy stretch (a save's fsyncs): it
  // arrived after the turn before the last (timers run before signals in a turn of the loop).
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private prevTurn = 0;
  private lastTurn = 0;
  // What a first signal does; while it is null (before or after training), a signal exits at once.
  onFirst: (() => void) | null = null;
  private readonly exitNow: (signal: StopSignal) => void;
  private readonly echoMs: number;
  private readonly now: () => number;

  constructor(exitNow: (signal: StopSignal) => void = exitWithMessage, echoMs = ECHO_MS, now: () => number = () => performance.now()) {
    this.exitNow = exitNow;
    this.echoMs = echoMs;
    this.now = now;
  }

  get pressed(): boolean {
    return this.firstAt !== null;
  }

  // The exit code for a run stopped by the first signal: 130 after SIGINT, 143 after SIGTERM.
  get exitCode(): number {
    return exitCodeFor(this.first);
  }

  install(): void {
    for (const signal of STOP_SIGNALS) process.on(signal, this.handle);
    this.prevTurn = this.lastTurn = this.now();
    this.heartbeat = setInterval(() => { this.prevTurn = this.lastTurn; this.lastTurn = this.now(); }, HEARTBEAT_MS);
    this.heartbeat.unref(); // never what keeps the process alive
  }

  uninstall(): void {
    for (const signal of STOP_SIGNALS) process.removeListener(signal, this.handle);
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  // Resolves once the echo window after the first signal is over (at once if there was none). Exit
  // only then: while Node shuts down it gives the signals back their default action, so an echo
  // landing during the exit would kill the process by the signal instead of leaving it with 130/143.
  echoesOver(): Promise<void> {
    const left = this.firstAt === null ? 0 : this.firstAt + this.echoMs - this.now();
    return left > 0 ? new Promise((resolve) => setTimeout(resolve, left)) : Promise.resolve();
  }

  // Node calls a signal listener with the signal's name.
  readonly handle = (signal: StopSignal = 'SIGINT'): void => {
    const t = this.now();
    if (this.firstAt === null && this.onFirst !== null) {
      this.firstAt = t;
      this.first = signal;
      this.onFirst();
      return;
    }
    const arrivedAfter = this.heartbeat === null ? t : this.prevTurn;
    if (this.firstAt !== null && arrivedAfter - this.firstAt < this.echoMs) return;
    this.exitNow(signal);
  };
}

function exitWithMessage(signal: StopSignal): never {
  const what = signal === 'SIGTERM' ? 'terminated' : 'interrupted';
  process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}bench: ${what}, exiting at once\n`);
  process.exit(exitCodeFor(signal));
}
