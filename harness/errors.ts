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

  format(): string {
    const parts = [this.message];
    if (this.fix) parts.push(`Fix: ${this.fix}`);
    let text = parts.join(' ');
    if (this.logTail.length) text += `\nLast ${this.logTail.length} log lines:\n` + this.logTail.map((l) => `  | ${l}`).join('\n');
    return text;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof UserError) return error.format();
  if (error instanceof Error) return error.message;
  return String(error);
}
