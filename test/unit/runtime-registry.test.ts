// The runtime registry: --runtime accepts the registered names and auto, and says which when given
// another; every registered runtime declares what it can do, the same before and after it is made;
// auto falls back when no engine answers.
import { describe, expect, it, vi } from 'vitest';
import { UserError } from '../../harness/errors.ts';
import type { Engine } from '../../harness/docker/engine.ts';
import { DockerRuntime } from '../../harness/runtime/docker.ts';
import { createRuntime, DEFAULT_RUNTIME, parseRuntimeChoice, RUNTIME_CHOICES, RUNTIME_NAMES, runtimeChoicesHelp, runtimeModule } from '../../harness/runtime/registry.ts';

// No engine answers here, whatever the machine has: auto must fall back without one.
vi.mock('../../harness/docker/engine.ts', async (original) => ({ ...(await original<typeof import('../../harness/docker/engine.ts')>()), findEngine: async () => null }));

describe('runtime registry', () => {
  it('lists local (the default) and docker, and auto among the choices', () => {
    expect(RUNTIME_NAMES).toEqual(['local', 'docker']);
    expect(DEFAULT_RUNTIME).toBe('local');
    expect(RUNTIME_CHOICES).toEqual(['local', 'docker', 'auto']);
    expect(parseRuntimeChoice('docker')).toBe('docker');
    expect(parseRuntimeChoice('auto')).toBe('auto');
    expect(runtimeChoicesHelp()).toBe('local (default: processes on this machine), docker (images and containers through Docker or Podman), auto (the first of docker, local that can run here)');
  });

  it('refuses an unknown name, naming the flag and the allowed values', async () => {
    const error = (() => {
      try {
        parseRuntimeChoice('kubernetes', '--runtime');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).summary()).toBe('--runtime: "kubernetes" is not a runtime. Fix: Allowed values: local, docker, auto.');
    await expect(createRuntime('podman')).rejects.toThrow(/"podman" is not a runtime/);
    expect(() => runtimeModule('auto')).toThrow(UserError); // a choice, not a runtime
  });

  it('has every registered runtime declare its capabilities, the same as the runtime it makes', async () => {
    const fakeEngine = { docker: {}, name: 'podman', version: '0', apiVersion: '0', socket: 'unix:///nowhere', owned: false } as unknown as Engine;
    const made = { local: (await createRuntime('local')).runtime, docker: new DockerRuntime(fakeEngine) };
    for (const name of RUNTIME_NAMES) {
      const { can } = runtimeModule(name);
      expect(['process', 'container']).toContain(can.unit);
      for (const flag of ['images', 'startupSplit', 'processTree'] as const) expect(typeof can[flag]).toBe('boolean');
      const runtime = made[name as keyof typeof made];
      expect(runtime, `${name} is made in this test`).toBeDefined();
      expect(runtime.name).toBe(name);
      expect(runtime.can).toEqual(can);
    }
    // What each can really do: a process tree on the host for both (a container's from the host's
    // /proc); images and the engine's share of a start only in containers.
    expect(runtimeModule('local').can).toEqual({ unit: 'process', images: false, startupSplit: false, processTree: true });
    expect(runtimeModule('docker').can).toEqual({ unit: 'container', images: true, startupSplit: true, processTree: true, hosts: true });
  });

  it("lists each runtime's own requirements for doctor: the docker runtime's engine is required, and missing here", async () => {
    const docker = await runtimeModule('docker').requirements();
    const engine = docker.find((r) => r.what === 'container engine');
    expect(engine).toMatchObject({ ok: false, required: true });
    expect(engine!.fix).toBeTruthy();
    const local = await runtimeModule('local').requirements();
    expect(local.map((r) => r.what)).toEqual(expect.arrayContaining(['npm', 'taskset']));
    expect(local.some((r) => r.what === 'container engine')).toBe(false);
  });

  it('makes the local runtime for auto where no engine answers', async () => {
    const { runtime, engine } = await createRuntime('auto', { logDir: '/tmp' });
    expect(runtime.name).toBe('local');
    expect(engine).toBeNull();
  });
});
