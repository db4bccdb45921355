// Guarantees that no target process or container outlives the harness: process groups are
// registered here and killed synchronously on a normal or exceptional exit; the reaper sidecar
// ends them, and removes registered containers and data folders, if the harness is killed outright (SIGKILL, OOM)
// or exits with containers left (an exit handler cannot wait for the engine's API).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const groups = new Set<number>();
let sidecar: ChildProcess | null = null;

function startSidecar(): void {
  if (sidecar) return;
  const tsx = import.meta.resolve('tsx');
  const script = fileURLToPath(new URL('./reaper-process.ts', import.meta.url));
  sidecar = spawn(process.execPath, ['--import', tsx, script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  sidecar.on('error', () => {});
  sidecar.stdin?.on('error', () => {});
  sidecar.unref();
  // The open pipe must not keep the harness alive; it closes when the harness process ends.
  (sidecar.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  process.once('exit', () => {
    for (const pgid of groups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  });
}

export function registerGroup(pgid: number): void {
  startSidecar();
  groups.add(pgid);
  sidecar?.stdin?.write(`+g ${pgid}\n`);
}

export function unregisterGroup(pgid: number): void {
  groups.delete(pgid);
  sidecar?.stdin?.write(`-g ${pgid}\n`);
}

/** An engine's API service the harness started (its own Podman service): ended after the
 * containers are removed through it, if the harness dies. */
export function registerEngineService(pid: number): void {
  startSidecar();
  sidecar?.stdin?.write(`+s ${pid}\n`);
}

export function unregisterEngineService(pid: number): void {
  sidecar?.stdin?.write(`-s ${pid}\n`);
}

/** Folders (a service's data directory) are removed once the process groups are gone. */
export function registerDir(dir: string): void {
  startSidecar();
  sidecar?.stdin?.write(`+d ${dir}\n`);
}

export function unregisterDir(dir: string): void {
  sidecar?.stdin?.write(`-d ${dir}\n`);
}

/** Another host's engine (its address as given, ssh:// or tcp://) and how to connect to it: its
 * containers can then be registered like a local engine's. Only paths and flags are passed, no key. */
export function registerEngine(address: string, connect: { sshKey?: string; knownHosts?: string; insecure?: boolean; certDir?: string }): void {
  startSidecar();
  sidecar?.stdin?.write(`+e ${address} ${JSON.stringify(connect)}\n`);
}

/** A command that undoes what the harness made outside any engine (the deploy scenario's pulling
 * host: a network namespace, its engine and its traffic rules), run by the sidecar after the
 * containers are removed if the harness dies. `key` names it for the `-x` line. */
export function registerCleanup(key: string, argv: string[], env: Record<string, string> = {}): void {
  startSidecar();
  sidecar?.stdin?.write(`+x ${key} ${JSON.stringify({ argv, env })}\n`);
}

export function unregisterCleanup(key: string): void {
  sidecar?.stdin?.write(`-x ${key}\n`);
}

const engineKey = (socket: string) => (socket.startsWith('unix://') ? socket.slice('unix://'.length) : socket);

/** Containers are removed through the engine's API by the sidecar: a unix socket's, or a registered host's. */
export function registerContainer(socket: string, id: string): void {
  startSidecar();
  sidecar?.stdin?.write(`+c ${engineKey(socket)} ${id}\n`);
}

export function unregisterContainer(socket: string, id: string): void {
  sidecar?.stdin?.write(`-c ${engineKey(socket)} ${id}\n`);
}
