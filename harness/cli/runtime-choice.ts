// Picks the runtime the user asked for: local (processes), docker (an engine that speaks the
// Docker API: Docker or Podman), or auto (docker when an engine answers, local otherwise).
import { findEngine, requireEngine, type Engine } from '../docker/engine.ts';
import { gitHead } from '../env/environment.ts';
import { UserError } from '../errors.ts';
import { PROJECT_ROOT } from '../targets.ts';
import { DockerRuntime, type DockerRuntimeOptions } from '../runtime/docker.ts';
import { LocalRuntime } from '../runtime/local.ts';
import type { Runtime } from '../types.ts';

export interface RuntimeChoice {
  runtime: Runtime;
  engine: Engine | null;
}

export async function chooseRuntime(choice: string, given: DockerRuntimeOptions = {}): Promise<RuntimeChoice> {
  const options = { ...given, gitCommit: given.gitCommit ?? (await gitHead(PROJECT_ROOT)) };
  if (choice === 'local') return { runtime: new LocalRuntime(options), engine: null };
  if (choice === 'docker') {
    const engine = await requireEngine();
    return { runtime: new DockerRuntime(engine, options), engine };
  }
  if (choice === 'auto') {
    const engine = await findEngine();
    return engine ? { runtime: new DockerRuntime(engine, options), engine } : { runtime: new LocalRuntime(options), engine: null };
  }
  throw new UserError(`--runtime: "${choice}" is not a runtime.`, 'Allowed values: local, docker, auto.');
}
