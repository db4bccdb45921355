// autocannon as a loader: in its own process, pinned with taskset to the loader's CPUs so that it
// never competes with the target for a core. It runs one thread, so its CPU use is that of the one
// loader CPU it keeps busy.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { UserError } from '../errors.ts';
import type { HttpLoader, HttpLoadRequest, HttpLoadResult } from '../types.ts';
import { LOAD_STARTED } from './protocol.ts';

const require = createRequire(import.meta.url);
const CHILD = fileURLToPath(new URL('./autocannon-child.ts', import.meta.url));

export function autocannonVersion(): string {
  return (require('autocannon/package.json') as { version: string }).version;
}

export function createAutocannonLoader(loaderCpus: number[]): HttpLoader {
  return {
    name: 'autocannon',
    version: autocannonVersion(),
    runtime: `node ${process.versions.node}`,
    async run(request: HttpLoadRequest, signal?: AbortSignal, onStart?: () => void): Promise<HttpLoadResult> {
      if (request.rate) throw new UserError('autocannon has no open-loop mode that measures latency from the intended send time.', 'Use --loader harness for --rate.');
      const child = execa('taskset', ['-c', loaderCpus.join(','), process.execPath, '--import', import.meta.resolve('tsx'), CHILD, JSON.stringify(request)], {
        reject: false,
        cancelSignal: signal,
        forceKillAfterDelay: 2000,
        stdin: 'ignore',
        // Pinned with taskset; node would otherwise size its thread pool for every core.
        env: { UV_THREADPOOL_SIZE: String(Math.max(1, loaderCpus.length)) },
      });
      let started = false;
      child.stderr?.on('data', (chunk: Buffer) => {
        if (!started && String(chunk).includes(LOAD_STARTED)) {
          started = true;
          onStart?.();
        }
      });
      const result = await child;
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('interrupted');
      const line = String(result.stdout).trim().split('\n').at(-1) ?? '';
      try {
        return JSON.parse(line) as HttpLoadResult;
      } catch {
        throw new UserError(
          `The load generator (autocannon) failed against ${request.url} (exit ${result.exitCode ?? result.signal}).`,
          'Check that `npm install` completed in the project folder and that taskset can pin to the loader CPUs.',
          String(result.stderr).split('\n').filter((l) => l && l !== LOAD_STARTED).slice(-15),
        );
      }
    },
  };
}
