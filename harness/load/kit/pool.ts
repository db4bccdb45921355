// The parent's side of the loader workers: one process per entry of `cpus`, each pinned there with
// taskset (a CPU may be listed several times when one process may not hold every socket), run by
// the loader's runtime (Bun or Node through tsx), spoken to with the protocol of protocol.ts. It
// keeps each worker's stderr tail for errors, reads each worker's CPU time from /proc, ends every
// worker on every path (SIGTERM, then SIGKILL), and fails every pending command at once when a
// worker dies, the caller aborts, or a worker answers `error`.
import { spawn, type ChildProcess } from 'node:child_process';
import { UserError } from '../../errors.ts';
import { readProcStat } from '../../runtime/process-tree.ts';
import { READY_ID, type KitReply } from './protocol.ts';

const KILL_AFTER_MS = 2000;
const STDERR_LINES = 15;

/** What runs a .ts program (see harness/load/loader-runtime.ts). */
export interface ProgramRuntime {
  name: string;
  version: string;
  command: string[];
}

export interface PoolOptions {
  /** The worker program (a .ts file that calls runWorker). */
  script: string;
  runtime: ProgramRuntime;
  /** One worker per entry, pinned to that CPU. */
  cpus: number[];
  /** Each worker's configuration (argv[2]), by index. */
  config(index: number): unknown;
  /** Put before taskset, e.g. prlimit setting the open-files limit. */
  wrap?: string[];
  /** Who the workers are, for errors: "The harness's WebSocket load generator". */
  what: string;
  signal?: AbortSignal;
}

interface Pending {
  type: string;
  resolve(reply: unknown): void;
  reject(error: Error): void;
}

interface Worker {
  cpu: number;
  child: ChildProcess;
  stdout: string;
  stderrTail: string[];
  pending: Map<number, Pending>;
  exited: boolean;
  exit: Promise<void>;
}

type ReplyOf<R extends { type: string }, T extends string> = Extract<R, { type: T }>;

export interface CpuMark {
  cpuS: number;
  atMs: number;
}

export class WorkerPool<Cmd extends { cmd: string }, Reply extends { type: string }> {
  private readonly workers: Worker[] = [];
  private failure: Error | null = null;
  private nextId = READY_ID + 1;
  private readonly onAbort: () => void;

  private constructor(private readonly o: PoolOptions) {
    this.onAbort = () => this.failAll(o.signal!.reason instanceof Error ? o.signal!.reason : new Error(String(o.signal!.reason ?? 'interrupted')));
  }

  /** Starts every worker and waits for each one's `ready` (its extra fields, by index). A failure ends them all. */
  static async start<C extends { cmd: string }, R extends { type: string }>(o: PoolOptions): Promise<{ pool: WorkerPool<C, R>; ready: Record<string, unknown>[] }> {
    o.signal?.throwIfAborted();
    if (o.cpus.length === 0) throw new UserError(`${o.what} needs at least one loader CPU.`);
    const pool = new WorkerPool<C, R>(o);
    o.signal?.addEventListener('abort', pool.onAbort, { once: true });
    for (const [index, cpu] of o.cpus.entries()) pool.spawn(index, cpu);
    try {
      const ready = await Promise.all(pool.workers.map((w) => pool.expect(w, READY_ID, 'ready')));
      return { pool, ready: ready.map((r) => r as Record<string, unknown>) };
    } catch (error) {
      await pool.kill();
      throw error;
    }
  }

  get size(): number {
    return this.workers.length;
  }

  cpuOf(index: number): number {
    return this.workers[index]!.cpu;
  }

  private spawn(index: number, cpu: number): void {
    const [exe, ...prefix] = this.o.runtime.command as [string, ...string[]];
    const argv = [...(this.o.wrap ?? []), 'taskset', '-c', String(cpu), exe, ...prefix, this.o.script, JSON.stringify(this.o.config(index))];
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      // Pinned to one CPU: Node would otherwise size its thread pool for every core.
      env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
    });
    const w: Worker = { cpu, child, stdout: '', stderrTail: [], pending: new Map(), exited: false, exit: Promise.resolve() };
    w.exit = new Promise((resolve) => {
      const done = (how: string) => {
        if (w.exited) return;
        w.exited = true;
        if (w.pending.size) this.failAll(this.error(w, how));
        resolve();
      };
      child.once('error', (error) => done(`could not start (${error.message})`));
      child.once('close', (code, sig) => done(sig ? `was killed by ${sig}` : `exited with code ${code}`));
    });
    child.stdin!.on('error', () => {}); // a worker that died: its exit says why
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      w.stdout += text;
      let nl: number;
      while ((nl = w.stdout.indexOf('\n')) >= 0) {
        const line = w.stdout.slice(0, nl);
        w.stdout = w.stdout.slice(nl + 1);
        this.onLine(w, line);
      }
    });
    let partial = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.tail(w, line);
    });
    child.stderr!.on('end', () => {
      if (partial.trim()) this.tail(w, partial);
    });
    this.workers.push(w);
  }

  private tail(w: Worker, line: string): void {
    w.stderrTail.push(line);
    if (w.stderrTail.length > STDERR_LINES) w.stderrTail.shift();
  }

  private error(w: Worker, how: string): UserError {
    const { runtime, wrap, script } = this.o;
    return new UserError(
      `${this.o.what} (worker on CPU ${w.cpu}, ${runtime.name} ${runtime.version}) ${how}.`,
      `Check that taskset can pin to CPU ${w.cpu}${wrap?.length ? ` and that \`${wrap.join(' ')}\` runs` : ''}, and that \`${runtime.command.join(' ')} ${script}\` runs.`,
      w.stderrTail.slice(-STDERR_LINES),
    );
  }

  private expect(w: Worker, id: number, type: string): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    // A worker that already ended would never answer.
    if (w.exited) return Promise.reject(this.error(w, 'has already exited'));
    return new Promise((resolve, reject) => w.pending.set(id, { type, resolve, reject }));
  }

  private onLine(w: Worker, line: string): void {
    let reply: KitReply & { id?: unknown };
    try {
      reply = JSON.parse(line) as KitReply & { id?: unknown };
    } catch {
      this.tail(w, `(stdout) ${line.slice(0, 200)}`);
      return;
    }
    const id = typeof reply.id === 'number' ? reply.id : -1;
    const waiter = w.pending.get(id);
    if (!waiter) {
      // An error no command waits for (a line that was not JSON): the worker is confused.
      if (reply.type === 'error') this.failAll(this.error(w, `failed: ${reply.message}`));
      return;
    }
    w.pending.delete(id);
    const { id: _, ...body } = reply;
    if (reply.type === 'error') waiter.reject(this.error(w, `failed: ${reply.message}`));
    else if (reply.type !== waiter.type) waiter.reject(new Error(`${this.o.what}, worker on CPU ${w.cpu}: expected a '${waiter.type}' reply, got '${reply.type}'`));
    else waiter.resolve(body);
  }

  /** Sends a command to worker `index` and resolves with its reply, which must be of `type`. */
  request<T extends Reply['type']>(index: number, cmd: Cmd, type: T): Promise<ReplyOf<Reply, T>> {
    const w = this.workers[index]!;
    const id = this.nextId++;
    const reply = this.expect(w, id, type) as Promise<ReplyOf<Reply, T>>;
    if (!this.failure && !w.exited) w.child.stdin!.write(JSON.stringify({ ...cmd, id }) + '\n');
    return reply;
  }

  /** One command per worker (null: none for that worker), all at once. */
  all<T extends Reply['type']>(cmds: (Cmd | null)[], type: T): Promise<(ReplyOf<Reply, T> | null)[]> {
    return Promise.all(cmds.map((cmd, i) => (cmd ? this.request(i, cmd, type) : Promise.resolve(null))));
  }

  /** The same command to every worker. */
  each<T extends Reply['type']>(cmd: Cmd, type: T): Promise<ReplyOf<Reply, T>[]> {
    return Promise.all(this.workers.map((_, i) => this.request(i, cmd, type)));
  }

  /** CPU seconds of each worker now, with the time read (null where it cannot be read). */
  cpuMark(): (CpuMark | null)[] {
    return this.workers.map((w) => {
      const stat = w.child.pid === undefined ? null : readProcStat(w.child.pid);
      return stat && stat.state !== 'Z' ? { cpuS: stat.cpuSeconds, atMs: performance.now() } : null;
    });
  }

  /** Each loader CPU's use since `mark` (until `now`, by default this moment) by the workers on it, in percent of that CPU (null where unknown), in the order the CPUs first appear. */
  cpuSince(mark: (CpuMark | null)[], now: (CpuMark | null)[] = this.cpuMark()): (number | null)[] {
    const perCpu = new Map<number, number | null>();
    mark.forEach((m, i) => {
      const n = now[i];
      const cpu = this.workers[i]!.cpu;
      const pct = !m || !n || n.atMs - m.atMs < 50 ? null : ((n.cpuS - m.cpuS) / ((n.atMs - m.atMs) / 1000)) * 100;
      const sum = perCpu.has(cpu) ? perCpu.get(cpu)! : 0;
      perCpu.set(cpu, sum === null || pct === null ? null : sum + pct);
    });
    return [...perCpu.values()];
  }

  private failAll(error: Error): void {
    if (!this.failure) this.failure = error;
    for (const w of this.workers) {
      const waiting = [...w.pending.values()];
      w.pending.clear();
      for (const p of waiting) p.reject(this.failure);
    }
    void this.kill();
  }

  /** Whether a worker died, the caller aborted, or a command failed. */
  get failed(): Error | null {
    return this.failure;
  }

  /** Ends every worker at once (SIGTERM, then SIGKILL) and waits for them. Safe to call more than once. */
  async kill(): Promise<void> {
    this.o.signal?.removeEventListener('abort', this.onAbort);
    const alive = () => this.workers.filter((w) => !w.exited);
    for (const w of alive()) w.child.kill('SIGTERM');
    const hard = setTimeout(() => {
      for (const w of alive()) w.child.kill('SIGKILL');
    }, KILL_AFTER_MS);
    await Promise.all(this.workers.map((w) => w.exit));
    clearTimeout(hard);
  }

  /** Sends `cmd` to every live worker (e.g. a close handshake), waits at most `graceMs` for the replies and the exits, then kills what is left. */
  async close(cmd: Cmd | null, type: Reply['type'], graceMs: number): Promise<void> {
    if (cmd && !this.failure) {
      const closing = this.workers.map((w, i) => (w.exited ? Promise.resolve() : this.request(i, cmd, type).then(() => w.exit, () => {})));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([Promise.all(closing), timeout]);
      clearTimeout(timer);
    }
    await this.kill();
  }
}
