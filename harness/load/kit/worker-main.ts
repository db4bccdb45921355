// The worker's side of the protocol (protocol.ts): reads and validates the configuration, answers
// `ready`, then reads commands from stdin and writes each reply with its command's id. A loader's
// worker is this plus its protocol module (what the commands do); its connections and clients are
// plain classes in other modules, importable and tested in-process.
//
// Every reply carries the worker's CPU time (`cpu`, see ReplyCpu), which the pool takes off: where
// the worker runs elsewhere (a container on another host) it has no pid here to read /proc by.
//
// The worker never outlives the harness: it exits when stdin ends (the parent died), on SIGTERM and
// on SIGINT, after the module's `exit` hook (which may print nothing on stdout).
import type { z } from 'zod';
import { READY_ID, type ReplyCpu } from './protocol.ts';

export interface WorkerModule<Config, Cmd extends { cmd: string }, Reply extends { type: string }> {
  /** For messages, e.g. "http worker". */
  name: string;
  configSchema: z.ZodType<Config>;
  /** Set up from the configuration (resolve names, read limits); what `ready` carries besides its type. */
  setup(config: Config): Promise<Record<string, unknown>> | Record<string, unknown>;
  /** One command; its reply (the kit adds the id). A throw is answered `error` with its message. */
  handle(cmd: Cmd): Promise<Reply> | Reply;
  /** Commands that wait for the ones before them to be answered (default: none; `stop` must never wait). */
  serial?(cmd: Cmd): boolean;
  /** Runs before the process exits on a signal or the end of stdin. */
  exit?(): void;
}

/** Reads argv[2] as JSON and validates it; the message names the field. */
export function parseWorkerConfig<C>(schema: z.ZodType<C>, text: string | undefined, name: string): C {
  let raw: unknown;
  try {
    raw = JSON.parse(text ?? '');
  } catch {
    throw new Error(`${name}: argv[2] must be the configuration as JSON, got ${JSON.stringify(text)}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${name}: bad configuration: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

function write(line: object): void {
  const usage = process.cpuUsage();
  const cpu: ReplyCpu = { s: (usage.user + usage.system) / 1e6, atMs: performance.now() };
  process.stdout.write(JSON.stringify({ ...line, cpu }) + '\n');
}

export async function runWorker<Config, Cmd extends { cmd: string }, Reply extends { type: string }>(m: WorkerModule<Config, Cmd, Reply>): Promise<void> {
  const config = parseWorkerConfig(m.configSchema, process.argv[2], m.name);
  const leave = (code: number) => {
    m.exit?.();
    process.exit(code);
  };
  process.on('SIGTERM', () => leave(143));
  process.on('SIGINT', () => leave(130));

  // Serial commands form a chain; the others run at once.
  let chain: Promise<unknown> = Promise.resolve();
  const run = (id: number, cmd: Cmd) => {
    const answer = async () => {
      try {
        write({ ...(await m.handle(cmd)), id });
      } catch (error) {
        write({ type: 'error', message: error instanceof Error ? error.message : String(error), id });
      }
    };
    if (m.serial?.(cmd)) chain = chain.then(answer);
    else void answer();
  };

  const ready = await m.setup(config);
  let input = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (text: string) => {
    input += text;
    let nl: number;
    while ((nl = input.indexOf('\n')) >= 0) {
      const line = input.slice(0, nl);
      input = input.slice(nl + 1);
      if (!line.trim()) continue;
      let parsed: { id?: unknown } & Cmd;
      try {
        parsed = JSON.parse(line) as { id?: unknown } & Cmd;
      } catch {
        write({ type: 'error', message: `${m.name}: a command line is not JSON: ${line.slice(0, 200)}`, id: -1 });
        continue;
      }
      const { id, ...cmd } = parsed;
      run(typeof id === 'number' ? id : -1, cmd as unknown as Cmd);
    }
  });
  process.stdin.on('end', () => leave(0));
  write({ ...ready, type: 'ready', id: READY_ID });
}
