// Where no engine answers on the usual sockets, the harness starts its own Podman API service in a
// fresh folder under /tmp; when the command ends, the service and its folder must both be gone.
// The machine's socket is hidden in a mount namespace of this test (unshare, as root), so the test
// never touches the machine's own service.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../harness/targets.ts';

const ownFolders = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('bench-podman-'));
const ownServices = () =>
  execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.startsWith('podman system service') && l.includes(`${os.tmpdir()}/bench-podman-`));

/** The environment without an engine's address (an empty one would confuse podman itself). */
function withoutEngineAddress(): NodeJS.ProcessEnv {
  const { DOCKER_HOST: _d, CONTAINER_HOST: _c, ...env } = process.env;
  return env;
}

describe("the harness's own Podman service", () => {
  it('is started where no engine answers, and leaves no process and no folder behind', { timeout: 120_000 }, () => {
    if (spawnSync('podman', ['--version']).status !== 0) throw new Error('podman is not installed: run `bash docker/setup-podman.sh` (or .ci/run, which does).');
    if (process.getuid?.() !== 0) throw new Error('this test hides the machine\'s engine socket with `unshare -m` and a tmpfs mount, which needs root (CI runs as root).');
    const before = ownFolders();
    const hide = ['/run/podman', '/run/docker.sock'].filter((p) => fs.existsSync(p) && fs.statSync(p).isDirectory()).map((p) => `mount -t tmpfs none ${p} && `).join('');
    const r = spawnSync('unshare', ['-m', 'sh', '-c', `${hide}exec node --import tsx harness/cli.ts doctor`], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: withoutEngineAddress(),
    });
    expect(r.stdout, r.stderr).toMatch(/container engine: podman .* at unix:\/\/\/tmp\/bench-podman-\w+\/podman\.sock, started by the harness/);
    expect(ownFolders().filter((f) => !before.includes(f))).toEqual([]);
    expect(ownServices()).toEqual([]);
  });

  it('is ended by the reaper, its folder removed, when the harness is killed outright', { timeout: 120_000 }, async () => {
    if (process.getuid?.() !== 0) throw new Error('this test hides the machine\'s engine socket with `unshare -m` and a tmpfs mount, which needs root (CI runs as root).');
    const before = ownFolders();
    const hide = ['/run/podman', '/run/docker.sock'].filter((p) => fs.existsSync(p) && fs.statSync(p).isDirectory()).map((p) => `mount -t tmpfs none ${p} && `).join('');
    const child = spawn('unshare', ['-m', 'sh', '-c', `${hide}exec node --import tsx test/fixtures/hold-own-engine.ts`], { cwd: PROJECT_ROOT, env: withoutEngineAddress(), stdio: ['ignore', 'pipe', 'inherit'] });
    const socket = await new Promise<string>((resolve) => child.stdout.on('data', (d: Buffer) => /^engine (\S+)/m.test(d.toString()) && resolve(/^engine (\S+)/m.exec(d.toString())![1]!)));
    expect(socket).toMatch(/^unix:\/\/\/tmp\/bench-podman-/);
    expect(ownServices().length).toBe(1);
    child.kill('SIGKILL'); // `exec` made node the child itself: no exit handler runs
    for (let i = 0; i < 100 && (ownServices().length || ownFolders().some((f) => !before.includes(f))); i++) await new Promise((r) => setTimeout(r, 100));
    expect(ownServices()).toEqual([]);
    expect(ownFolders().filter((f) => !before.includes(f))).toEqual([]);
  });
});
