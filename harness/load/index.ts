// The HTTP load generators, by name: the harness's own (raw sockets, one worker per loader CPU, run
// by Bun from npm where it runs, else by Node), autocannon, and wrk where it is installed. All give
// the same result shape.
import { UserError } from '../errors.ts';
import type { HttpLoader } from '../types.ts';
import type { LoaderName } from './names.ts';
import { createAutocannonLoader } from './http-loader.ts';
import { resolveLoaderRuntime } from './loader-runtime.ts';
import { createRawLoader } from './raw/index.ts';
import { createWrkLoader } from './wrk.ts';

export { LOADER_NAMES, parseLoaderName, type LoaderName } from './names.ts';

export async function createLoader(name: LoaderName, cpus: number[]): Promise<HttpLoader> {
  switch (name) {
    case 'harness':
      return createRawLoader({ cpus, runtime: await resolveLoaderRuntime() });
    case 'autocannon':
      return createAutocannonLoader(cpus);
    case 'wrk': {
      const wrk = createWrkLoader(cpus);
      if (!wrk) throw new UserError('--loader wrk: wrk is not installed.', 'sudo apt-get install -y wrk (or use --loader harness).');
      return wrk;
    }
  }
}
