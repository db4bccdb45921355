// `bench doctor`: what this machine has for the harness and for each registered runtime, and the
// command that fixes what is missing. Each runtime module lists its own requirements.
import { cpuCount } from '../../runtime/cpus.ts';
import { resolveLoaderRuntime } from '../../load/loader-runtime.ts';
import { autoChoice, DEFAULT_RUNTIME, runtimeModules } from '../../runtime/registry.ts';
import { requirement, toolVersion, type Requirement } from '../../runtime/requirements.ts';
import { findNginx } from '../../tools/reference-server.ts';
import { parseFlags } from '../args.ts';

export const doctorHelp = `Usage: npm run bench -- doctor

Checks what the harness and each runtime need (local: Python with venv, npm, taskset, PostgreSQL's
binaries from npm for the database scenarios, redis-server for the WebSocket scenarios; docker: a
container engine and its version, debootstrap for offline base images; Bun for the harness's loader,
wrk and nginx for the loader benchmark) and prints the command that fixes each missing piece. Exits
1 when the default runtime cannot run.`;

const print = (l: Requirement) => console.log(`${l.ok ? 'ok  ' : l.required ? 'FAIL' : 'miss'} ${l.what}: ${l.detail}${!l.ok && l.fix ? `\n     fix: ${l.fix}` : ''}`);

export async function doctorCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('doctor', argv, {});
  if (values.help) {
    console.log(doctorHelp);
    return 0;
  }
  const harness: Requirement[] = [
    { ok: cpuCount() >= 2, what: 'CPUs', detail: `${cpuCount()} (the target and the loader need one each at least)`, required: true, fix: 'Use a machine with 2 or more CPUs.' },
    await requirement("Bun (runs the harness's loaders; Node is the slower fallback)", false, async () => { const r = await resolveLoaderRuntime('bun'); return `bun ${r.version} at ${r.command[0]}`; }, 'npm ci (Bun comes from npm with the harness dependencies)'),
    await requirement('wrk (--loader wrk, loader benchmark)', false, () => toolVersion('wrk', ['--version']), 'sudo apt-get install -y wrk'),
    await requirement('nginx (reference server of the loader benchmark)', false, async () => { const n = findNginx(); if (!n) throw new Error('nginx not found'); return n; }, 'sudo apt-get install -y nginx-light'),
  ];
  console.log('harness');
  harness.forEach(print);
  const harnessOk = harness.every((l) => l.ok || !l.required);
  const ready = new Map<string, boolean>();
  for (const module of runtimeModules()) {
    const lines = await module.requirements();
    console.log(`\n${module.name} runtime (${module.description})`);
    lines.forEach(print);
    ready.set(module.name, harnessOk && lines.every((l) => l.ok || !l.required));
  }
  const auto = await autoChoice();
  console.log(`\n${[...ready].map(([name, ok]) => `${name} runtime: ${ok ? 'ready' : 'not ready'}`).join('; ')}; --runtime auto would use ${auto?.name ?? 'none'}.`);
  return ready.get(DEFAULT_RUNTIME) ? 0 : 1;
}
