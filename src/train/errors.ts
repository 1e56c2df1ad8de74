// Errors meant for the user: one line, a cause, and the exit code the CLI leaves with.

export const EXIT = { usage: 2, data: 1, numerics: 3, backend: 4 } as const;

export class UserError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = 'UserError';
  }
}

// A data file that is missing or corrupt; the message ends with the offending file's path.
export class DataError extends UserError {
  constructor(cause: string, readonly path: string) {
    super(`${cause}: ${path}`, EXIT.data);
    this.name = 'DataError';
  }
}

// A command's whole life: run main and leave with its exit code. Errors meant for the user are one
// line on stderr, prefixed with the program's name; anything else is a bug, still one line (exit 70)
// unless DEBUG is set, which adds the stack.
export async function runCommand(program: string, main: () => number | Promise<number>): Promise<void> {
  try {
    process.exitCode = await main();
  } catch (e) {
    const message = e instanceof UserError ? e.message : `internal error: ${(e as Error).message ?? e}`;
    process.stderr.write(`${program}: ${message}\n`);
    if (!(e instanceof UserError) && process.env.DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    process.exitCode = e instanceof UserError ? e.exitCode : 70;
  }
}
