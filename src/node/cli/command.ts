// A command's whole life: run main and leave with its exit code. Errors meant for the user are one
// line on stderr, prefixed with the program's name; anything else is a bug, still one line (exit 70)
// unless DEBUG is set, which adds the stack.

import { UserError } from '../../train/errors.ts';

// Output piped into a reader that stops early (`| head`, quitting `less`) ends the command quietly,
// as it ends `ls | head`: the reader has what it wanted.
export async function runCommand(program: string, main: () => number | Promise<number>): Promise<void> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
  try {
    process.exitCode = await main();
  } catch (e) {
    const message = e instanceof UserError ? e.message : `internal error: ${(e as Error).message ?? e}`;
    process.stderr.write(`${program}: ${message}\n`);
    if (!(e instanceof UserError) && process.env.DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    process.exitCode = e instanceof UserError ? e.exitCode : 70;
  }
}
