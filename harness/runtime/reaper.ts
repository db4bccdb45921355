// Guarantees that no target process outlives the harness: process groups are registered here,
// killed synchronously on a normal or exceptional exit, and by the reaper sidecar if the harness
// is killed outright (SIGKILL, OOM) and cannot run its own exit handler.
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
  sidecar?.stdin?.write(`+${pgid}\n`);
}

export function unregisterGroup(pgid: number): void {
  groups.delete(pgid);
  sidecar?.stdin?.write(`-${pgid}\n`);
}
