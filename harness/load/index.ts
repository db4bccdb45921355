// The HTTP load generators, by name: the harness's own (`harness`: http/, one worker per loader CPU,
// run by Bun from npm where it runs, else by Node), autocannon, and wrk where it is installed. All
// give the same result shape, and say what they can do (`can`); scenarios ask that, not the name.
import { UserError } from '../errors.ts';
import type { HttpLoader, HttpLoadResult } from '../types.ts';
import { createAutocannonLoader } from './autocannon.ts';
import { createHttpLoader } from './http/index.ts';
import { resolveLoaderRuntime } from './loader-runtime.ts';
import type { LoaderName } from './names.ts';
import { createWrkLoader } from './wrk.ts';

export { LOADER_NAMES, parseLoaderName, type LoaderName } from './names.ts';

export async function createLoader(name: LoaderName, cpus: number[]): Promise<HttpLoader> {
  switch (name) {
    case 'harness':
      return createHttpLoader({ cpus, runtime: await resolveLoaderRuntime() });
    case 'autocannon':
      return createAutocannonLoader(cpus);
    case 'wrk': {
      const wrk = createWrkLoader(cpus);
      if (!wrk) throw new UserError('--loader wrk: wrk is not installed.', 'sudo apt-get install -y wrk (or use --loader harness).');
      return wrk;
    }
  }
}

/** A result's errors by kind (ECONNREFUSED, ECONNRESET, 'connect timeout', ...), as far as its loader tells them apart; {} when it does not. */
export function errorKindsOf(result: HttpLoadResult): Record<string, number> {
  return result.errorKinds ?? {};
}
