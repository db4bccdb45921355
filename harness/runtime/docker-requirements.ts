// What the docker runtime needs on this machine, for `bench doctor`.
import os from 'node:os';
import { candidateSockets, ENGINE_FIX, findEngine } from '../docker/engine.ts';
import { requirement, toolVersion, type Requirement } from './requirements.ts';

export async function dockerRequirements(): Promise<Requirement[]> {
  const engine = await findEngine();
  const tried = candidateSockets(process.env, os.userInfo().uid, () => true).map((c) => c.socket).join(', ');
  return [
    engine
      ? { ok: true, what: 'container engine', detail: `${engine.name} ${engine.version} (API ${engine.apiVersion}) at ${engine.socket}${engine.owned ? ', started by the harness for this command' : ''}`, required: true }
      : { ok: false, what: 'container engine', detail: `none answered (tried ${tried} and podman system service)`, fix: ENGINE_FIX, required: true },
    await requirement('debootstrap (offline base images)', false, () => toolVersion('debootstrap', ['--version']), 'sudo apt-get install -y debootstrap'),
  ];
}
