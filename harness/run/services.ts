// One way to start a run's services (PostgreSQL, Redis), used by `run` (the executor), `serve` and
// `verify`: each through the runtime, pinned to the services' CPUs, waited for until ready; a stop
// that stops every one that started. By default one that fails to start stops those started before
// it and throws (nothing is left running); a run keeps going instead, and only the targets that need
// the missing service go without it.
import { errorMessage } from '../errors.ts';
import type { ProgressReporter, RunningService, Runtime, ServiceDeclaration } from '../types.ts';

export interface ServiceStartOptions {
  cpus: number[];
  readyTimeoutMs: number;
  /** Where the starter's lines and the services' own start lines go. */
  progress: Pick<ProgressReporter, 'step' | 'info' | 'warn'>;
  /** Once aborted, no further service is started. */
  signal?: AbortSignal;
  /** Start the others when one fails, and give it in `failed` (default: stop what started, and throw). */
  keepGoing?: boolean;
}

export interface StartedServices {
  running: RunningService[];
  /** With keepGoing: those that did not start, and why. */
  failed: { service: ServiceDeclaration; error: unknown }[];
  /** The environment handed to the targets: every running service's (DATABASE_URL, REDIS_URL...). */
  env: Record<string, string>;
  /** Stops every started service, the last started first; idempotent, a failure to stop one is warned and the others still stop. */
  stop(): Promise<void>;
}

export async function startServices(runtime: Pick<Runtime, 'startService'>, declarations: ServiceDeclaration[], o: ServiceStartOptions): Promise<StartedServices> {
  const running: RunningService[] = [];
  const failed: StartedServices['failed'] = [];
  const stop = async () => {
    for (const s of [...running].reverse()) await s.stop().catch((error: unknown) => o.progress.warn(`stopping ${s.service.name}: ${errorMessage(error)}`));
  };
  for (const service of declarations) {
    if (o.signal?.aborted) break;
    o.progress.step(`service ${service.name}: starting on CPUs ${o.cpus.join(',')}`);
    try {
      const s = await runtime.startService(service, { cpus: o.cpus, readyTimeoutMs: o.readyTimeoutMs, log: (line) => o.progress.info(line) });
      running.push(s);
      o.progress.info(`${service.name} ${s.info.version} ready (${s.info.mode}, ${s.info.source})`);
    } catch (error) {
      if (!o.keepGoing) {
        await stop();
        throw error;
      }
      o.progress.warn(`could not start ${service.name}: ${errorMessage(error)}`);
      failed.push({ service, error });
    }
  }
  return { running, failed, env: Object.assign({}, ...running.map((s) => s.env)) as Record<string, string>, stop };
}
