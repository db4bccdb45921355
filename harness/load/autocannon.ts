// autocannon as a loader (`--loader autocannon`): one worker on the kit's pool (autocannon-worker.ts),
// run by Node and pinned to the first loader CPU so that it never competes with the target for a
// core. It runs one thread, so its CPU use is that of the one loader CPU it keeps busy.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';
import type { HttpLoader, HttpLoadRequest, HttpLoadResult } from '../types.ts';
import { fromAutocannon, type AutocannonCommand, type AutocannonReply } from './autocannon-result.ts';
import { latencyFromHistogram, mergeHistograms } from './kit/histogram.ts';
import { WorkerPool } from './kit/pool.ts';
import { resolveLoaderRuntime } from './loader-runtime.ts';

const require = createRequire(import.meta.url);
const WORKER = fileURLToPath(new URL('./autocannon-worker.ts', import.meta.url));
/** Like the harness loader's timeout. */
const TIMEOUT_S = 10;

export function autocannonVersion(): string {
  return (require('autocannon/package.json') as { version: string }).version;
}

export function createAutocannonLoader(loaderCpus: number[]): HttpLoader {
  if (loaderCpus.length === 0) throw new UserError('autocannon needs at least one loader CPU.');
  return {
    name: 'autocannon',
    version: autocannonVersion(),
    runtime: `node ${process.versions.node}`,
    can: { openLoop: false },
    async run(request: HttpLoadRequest, signal?: AbortSignal, onStart?: () => void): Promise<HttpLoadResult> {
      if (request.rate) throw new UserError('autocannon has no open-loop mode that measures latency from the intended send time.', 'Use --loader harness for --rate.');
      const { url, connections, durationS, pipelining } = request;
      const { pool } = await WorkerPool.start<AutocannonCommand, AutocannonReply>({
        script: WORKER,
        runtime: await resolveLoaderRuntime('node'),
        cpus: [loaderCpus[0]!],
        config: () => ({ url, connections, durationS, pipelining, timeoutS: TIMEOUT_S }),
        what: `The load generator (autocannon) against ${url}`,
        ...(signal && { signal }),
      });
      try {
        await pool.each({ cmd: 'start' }, 'started');
        const begun = pool.cpuMark();
        onStart?.();
        const [report] = await pool.each({ cmd: 'report' }, 'report');
        const [cpu] = pool.cpuSince(begun);
        const { counts, histogramUs, errorKinds } = report!;
        return { ...fromAutocannon(counts, latencyFromHistogram(mergeHistograms([histogramUs])), cpu ?? null), histogramUs, errorKinds };
      } finally {
        await pool.kill();
      }
    },
  };
}
