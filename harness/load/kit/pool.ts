// The parent's side of the loader workers: one process per entry of `cpus`, each pinned there (a
// CPU may be listed several times when one process may not hold every socket), run by the loader's
// runtime (Bun or Node through tsx) and started by a spawner (spawner.ts: a local child process
// with taskset by default, or a container on an engine), spoken to with the protocol of
// protocol.ts. It keeps each worker's stderr tail for errors, reads each worker's CPU time (from
// /proc for a local process, else from the mark its last reply carried), ends every worker on every
// path (SIGTERM, then SIGKILL), and fails every pending command at once when a worker dies, the
// caller aborts, or a worker answers `error`.
import { UserError } from '../../errors.ts';
import { readProcStat } from '../../runtime/process-tree.ts';
import { READY_ID, type KitReply, type ReplyCpu } from './protocol.ts';
import { localSpawner, type ProgramRuntime, type WorkerProcess, type WorkerSpawner, type WorkerSpec } from './spawner.ts';

export type { ProgramRuntime } from './spawner.ts';

const KILL_AFTER_MS = 2000;
const READY_TIMEOUT_MS = 60_000;
const STDERR_LINES = 15;

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
  /** Starts each worker; default: a local child process (localSpawner). */
  spawner?: WorkerSpawner;
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
  spec: WorkerSpec;
  cpu: number;
  proc: WorkerProcess;
  /** CPU time its last reply carried (the worker's own clock). */
  mark: CpuMark | null;
  stdout: string;
  stderrTail: string[];
  pending: Map<number, Pending>;
  exited: boolean;
  exit: Promise<void>;
}

type ReplyOf<R extends { type: string }, T extends string> = Extract<R, { type: T }>;

export interface CpuMark {
  cpuS: number;
  /** When it was read, on the clock of the reader (this process for /proc, the worker for a reply's
   * mark): only differences between marks of one worker mean anything. */
  atMs: number;
}

export class WorkerPool<Cmd extends { cmd: string }, Reply extends { type: string }> {
  private readonly workers: Worker[] = [];
  private failure: Error | null = null;
  private nextId = READY_ID + 1;
  private readonly onAbort: () => void;
  private readonly spawner: WorkerSpawner;
  private readonly runtime: ProgramRuntime;

  private constructor(private readonly o: PoolOptions) {
    this.spawner = o.spawner ?? localSpawner;
    this.runtime = this.spawner.runtime ?? o.runtime;
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
      const said = new Set<Worker>();
      let timer: NodeJS.Timeout | undefined;
      // A worker whose output never arrives (a container whose attach broke) would hold the run forever.
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(pool.error(pool.workers.find((w) => !said.has(w))!, `did not say ready within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      });
      try {
        const ready = await Promise.race([Promise.all(pool.workers.map((w) => pool.expect(w, READY_ID, 'ready').then((r) => (said.add(w), r)))), late]);
        return { pool, ready: ready.map((r) => r as Record<string, unknown>) };
      } finally {
        clearTimeout(timer);
      }
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
    const spec: WorkerSpec = { index, cpu, runtime: this.runtime, script: this.o.script, config: JSON.stringify(this.o.config(index)), wrap: this.o.wrap ?? [] };
    const proc = this.spawner.spawn(spec);
    const w: Worker = { spec, cpu, proc, mark: null, stdout: '', stderrTail: [], pending: new Map(), exited: false, exit: Promise.resolve() };
    w.exit = proc.ended.then((how) => {
      w.exited = true;
      if (w.pending.size) this.failAll(this.error(w, how));
    });
    proc.stdin.on('error', () => {}); // a worker that died: its exit says why
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (text: string) => {
      w.stdout += text;
      let nl: number;
      while ((nl = w.stdout.indexOf('\n')) >= 0) {
        const line = w.stdout.slice(0, nl);
        w.stdout = w.stdout.slice(nl + 1);
        this.onLine(w, line);
      }
    });
    let partial = '';
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.tail(w, line);
    });
    proc.stderr.on('end', () => {
      if (partial.trim()) this.tail(w, partial);
    });
    this.workers.push(w);
  }

  private tail(w: Worker, line: string): void {
    w.stderrTail.push(line);
    if (w.stderrTail.length > STDERR_LINES) w.stderrTail.shift();
  }

  private error(w: Worker, how: string): UserError {
    return new UserError(
      `${this.o.what} (worker on ${this.spawner.where(w.cpu)}, ${this.runtime.name} ${this.runtime.version}) ${how}.`,
      this.spawner.fix(w.spec),
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
    let reply: KitReply & { id?: unknown; cpu?: ReplyCpu };
    try {
      reply = JSON.parse(line) as KitReply & { id?: unknown; cpu?: ReplyCpu };
    } catch {
      this.tail(w, `(stdout) ${line.slice(0, 200)}`);
      return;
    }
    const mark = cpuMarkOf(reply.cpu);
    if (mark) w.mark = mark;
    const id = typeof reply.id === 'number' ? reply.id : -1;
    const waiter = w.pending.get(id);
    if (!waiter) {
      // An error no command waits for (a line that was not JSON): the worker is confused.
      if (reply.type === 'error') this.failAll(this.error(w, `failed: ${reply.message}`));
      return;
    }
    w.pending.delete(id);
    const { id: _, cpu: __, ...body } = reply;
    if (reply.type === 'error') waiter.reject(this.error(w, `failed: ${reply.message}`));
    else if (reply.type !== waiter.type) waiter.reject(new Error(`${this.o.what}, worker on ${this.spawner.where(w.cpu)}: expected a '${waiter.type}' reply, got '${reply.type}'`));
    else waiter.resolve(body);
  }

  /** Sends a command to worker `index` and resolves with its reply, which must be of `type`. */
  request<T extends Reply['type']>(index: number, cmd: Cmd, type: T): Promise<ReplyOf<Reply, T>> {
    const w = this.workers[index]!;
    const id = this.nextId++;
    const reply = this.expect(w, id, type) as Promise<ReplyOf<Reply, T>>;
    if (!this.failure && !w.exited) w.proc.stdin.write(JSON.stringify({ ...cmd, id }) + '\n');
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

  /** CPU seconds of each worker, with the time read (null where it cannot be read): now, from /proc,
   * for a local process; as of its last reply for one elsewhere (a worker answers when its work ends). */
  cpuMark(): (CpuMark | null)[] {
    return this.workers.map((w) => {
      if (w.proc.pid === undefined) return w.mark;
      const stat = readProcStat(w.proc.pid);
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
    for (const w of alive()) w.proc.kill('SIGTERM');
    const hard = setTimeout(() => {
      for (const w of alive()) w.proc.kill('SIGKILL');
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

/** A reply's CPU mark, if it carries a well-formed one. */
export function cpuMarkOf(cpu: ReplyCpu | undefined): CpuMark | null {
  return cpu && Number.isFinite(cpu.s) && Number.isFinite(cpu.atMs) ? { cpuS: cpu.s, atMs: cpu.atMs } : null;
}
