// Errors meant for the user: one line, a cause, and the exit code a command leaves with.

export const EXIT = { usage: 2, data: 1, numerics: 3, backend: 4 } as const;

export class UserError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

// A data file that is missing or corrupt; the message ends with the offending file's path (or, on
// a web page, its URL).
export class DataError extends UserError {
  readonly path: string;

  constructor(cause: string, path: string) {
    super(`${cause}: ${path}`, EXIT.data);
    this.name = 'DataError';
    this.path = path;
  }
}
