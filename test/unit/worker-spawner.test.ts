// The pool over a spawner that is not a local process (as the container spawner's workers are on
// another host): CPU time taken from the marks the replies carry, errors naming where the worker
// runs; the container spawner's create options; the kit image's contents and paths.
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { KIT_WORKERS, kitFiles, kitPath, kitRuntime } from '../../harness/hosts/kit-image.ts';
import { openFilesOfWrap, workerCreateOptions } from '../../harness/load/kit/container-spawner.ts';
import { WorkerPool } from '../../harness/load/kit/pool.ts';
import type { WorkerSpawner } from '../../harness/load/kit/spawner.ts';
import { PROJECT_ROOT } from '../../harness/targets.ts';

type Cmd = { cmd: 'work' } | { cmd: 'die' };
type Reply = { type: 'done' };
type Mark = { s: number; atMs: number } | undefined;

/** Workers that answer in memory, with no pid: each reply carries the next of `marks`. */
function fakeSpawner(marks: Mark[]): WorkerSpawner {
  return {
    runtime: { name: 'bun', version: '9.9.9', command: ['/kit/bun'] },
    where: (cpu) => `CPU ${cpu} of host fake://h`,
    fix: () => 'Check the fake host.',
    spawn() {
      const [stdin, stdout, stderr] = [new PassThrough(), new PassThrough(), new PassThrough()];
      let end!: (how: string) => void;
      const ended = new Promise<string>((resolve) => (end = resolve));
      const finish = (how: string) => {
        stdout.end();
        stderr.end();
        end(how);
      };
      let n = 0;
      const reply = (body: object) => stdout.write(JSON.stringify({ ...body, ...(marks[n] && { cpu: marks[n] }) }) + '\n') && n++;
      reply({ type: 'ready', id: 0, tag: 'x' });
      stdin.setEncoding('utf8');
      stdin.on('data', (text: string) => {
        for (const line of text.split('\n').filter(Boolean)) {
          const cmd = JSON.parse(line) as Cmd & { id: number };
          if (cmd.cmd === 'die') {
            stderr.write('going down\n');
            finish('exited with code 1');
          } else reply({ type: 'done', id: cmd.id });
        }
      });
      return { stdin, stdout, stderr, ended, kill: (signal) => finish(`was killed by ${signal}`) };
    },
  };
}

const start = (marks: Mark[], cpus = [2]) =>
  WorkerPool.start<Cmd, Reply>({ script: '/nowhere/worker.ts', runtime: { name: 'node', version: '0', command: ['node'] }, cpus, config: () => ({}), what: 'The fake loader', spawner: fakeSpawner(marks) });

describe('WorkerPool over a spawner without local pids', () => {
  it("takes each worker's CPU time from the mark its last reply carried, and hands replies on without it", async () => {
    const { pool, ready } = await start([{ s: 1, atMs: 1000 }, { s: 1.5, atMs: 2000 }, undefined]);
    expect(ready).toEqual([{ type: 'ready', tag: 'x' }]);
    const first = pool.cpuMark();
    expect(first).toEqual([{ cpuS: 1, atMs: 1000 }]);
    expect(await pool.request(0, { cmd: 'work' }, 'done')).toEqual({ type: 'done' });
    expect(pool.cpuMark()).toEqual([{ cpuS: 1.5, atMs: 2000 }]);
    expect(pool.cpuSince(first)).toEqual([50]);
    // A reply without a mark keeps the last one.
    await pool.request(0, { cmd: 'work' }, 'done');
    expect(pool.cpuMark()).toEqual([{ cpuS: 1.5, atMs: 2000 }]);
    await pool.kill();
  });

  it('has no mark for a worker that sent none', async () => {
    const { pool } = await start([undefined, undefined]);
    expect(pool.cpuMark()).toEqual([null]);
    expect(pool.cpuSince(pool.cpuMark())).toEqual([null]);
    await pool.kill();
  });

  it("names where a worker that died ran, with the spawner's runtime and fix and its stderr", async () => {
    const { pool } = await start([]);
    const error = (await pool.request(0, { cmd: 'die' }, 'done').catch((e: unknown) => e)) as Error & { fix: string; logTail: string[] };
    expect(error.message).toBe('The fake loader (worker on CPU 2 of host fake://h, bun 9.9.9) exited with code 1.');
    expect(error.fix).toBe('Check the fake host.');
    expect(error.logTail).toEqual(['going down']);
    await pool.kill();
  });
});

describe('container workers', () => {
  const o = { engine: {} as never, image: 'localhost/bench/kit:abc', runtime: kitRuntime('1.2.3'), hostName: 'ssh://root@h' };
  const spec = { index: 0, cpu: 3, runtime: o.runtime, script: path.join(PROJECT_ROOT, 'harness/load/http/worker.ts'), config: '{"a":1}', wrap: ['prlimit', '--nofile=5000:6000'] };

  it('translate the open-files wrappers of the local pool into a ulimit', () => {
    expect(openFilesOfWrap([])).toBeNull();
    expect(openFilesOfWrap(['prlimit', '--nofile=20000:20000'])).toEqual({ soft: 20000, hard: 20000 });
    expect(openFilesOfWrap(['sh', '-c', 'ulimit -n 5000 && exec "$@"', 'sh'])).toEqual({ soft: 5000, hard: 5000 });
    expect(() => openFilesOfWrap(['nice', '-n', '5'])).toThrow(/cannot run in a container/);
  });

  it('are labelled, on the host network, pinned, with a once-open stdin and the kit path of the script', () => {
    const c = workerCreateOptions({ ...o, hostConfig: { PidMode: 'host' } }, spec);
    expect(c.Labels).toMatchObject({ 'bench.harness': 'django-vs-node', 'bench.kind': 'container', 'bench.target': 'loader' });
    expect(c.Entrypoint).toEqual(['/kit/bun', '--no-install', '--no-env-file']);
    expect(c.Cmd).toEqual(['/kit/harness/load/http/worker.ts', '{"a":1}']);
    expect(c).toMatchObject({ Image: o.image, OpenStdin: true, StdinOnce: true, AttachStdin: true, Tty: false });
    expect(c.HostConfig).toEqual({ NetworkMode: 'host', CpusetCpus: '3', Ulimits: [{ Name: 'nofile', Soft: 5000, Hard: 6000 }], PidMode: 'host' });
  });
});

describe('the kit image', () => {
  it('maps a script under the project to /kit and refuses one outside', () => {
    expect(kitPath(path.join(PROJECT_ROOT, 'harness/hosts/reader-worker.ts'))).toBe('/kit/harness/hosts/reader-worker.ts');
    expect(() => kitPath('/etc/passwd')).toThrow(/not in the harness's folder/);
  });

  it("holds exactly the sources and packages the workers' imports reach (as esbuild, from tsx, bundles them)", async () => {
    const meta = await build({ entryPoints: KIT_WORKERS.map((w) => path.join(PROJECT_ROOT, w)), bundle: true, write: false, platform: 'node', format: 'esm', outdir: '/nowhere', metafile: true, absWorkingDir: PROJECT_ROOT, logLevel: 'silent' });
    const inputs = Object.keys(meta.metafile.inputs);
    const packages = new Set(inputs.filter((i) => i.startsWith('node_modules/')).map((i) => /^node_modules\/((@[^/]+\/)?[^/]+)/.exec(i)![0]));
    const kit = kitFiles();
    expect(kit.sources).toEqual(inputs.filter((i) => i.startsWith('harness/')).sort());
    expect(kit.packages).toEqual([...packages].sort());
  });
});
