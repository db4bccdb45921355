// Errors meant for the user: what went wrong and how to fix it. The CLI prints these as one
// paragraph without a stack trace; anything else is a bug and is printed with its stack.
export class UserError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
    /** Last log lines of a target, shown under the message. */
    readonly logTail: string[] = [],
  ) {
    super(message);
    this.name = 'UserError';
  }

  /** The message and the fix, without log lines. */
  summary(): string {
    return this.fix ? `${this.message} Fix: ${this.fix}` : this.message;
  }

  format(): string {
    let text = this.summary();
    if (this.logTail.length) text += `\nLast ${this.logTail.length} log lines:\n` + this.logTail.map((l) => `  | ${l}`).join('\n');
    return text;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof UserError) return error.format();
  if (error instanceof Error) return error.message;
  return String(error);
}

/** One line for a results file: the message and fix, without log lines (stored separately). */
export function errorSummary(error: unknown): string {
  return error instanceof UserError ? error.summary() : errorMessage(error);
}

export function errorLogTail(error: unknown): string[] | undefined {
  return error instanceof UserError && error.logTail.length ? error.logTail : undefined;
}
