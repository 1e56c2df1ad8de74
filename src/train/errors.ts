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
