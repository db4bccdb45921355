// Keeps the last lines a target printed (for error messages) and optionally tees them to a file.
import fs from 'node:fs';
import type { Readable } from 'node:stream';

export class LogBuffer {
  private lines: string[] = [];
  private partial = new Map<Readable, string>();
  private file: fs.WriteStream | null;

  constructor(private readonly capacity = 500, filePath?: string) {
    this.file = filePath ? fs.createWriteStream(filePath, { flags: 'a' }) : null;
  }

  attach(stream: Readable | null | undefined): void {
    if (!stream) return;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const text = (this.partial.get(stream) ?? '') + chunk;
      const parts = text.split(/\r?\n/);
      this.partial.set(stream, parts.pop() ?? '');
      for (const line of parts) this.push(line);
    });
    stream.on('end', () => {
      const rest = this.partial.get(stream);
      if (rest) this.push(rest);
      this.partial.delete(stream);
    });
  }

  push(line: string): void {
    this.lines.push(line);
    this.file?.write(line + '\n');
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
  }

  tail(n: number): string[] {
    const pending = [...this.partial.values()].filter(Boolean);
    return [...this.lines, ...pending].slice(-n);
  }

  close(): void {
    this.file?.end();
    this.file = null;
  }
}
