// The test hosts for several-host runs (docker/test-hosts.sh): network namespaces on a private
// subnet, each with its own Podman engine reached on tcp:// and on ssh:// (dockerode's ssh runs
// `docker system dial-stdio` on the far side, as against any remote Docker engine), sharing no
// storage, and removed whole by `down`.
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../harness/targets.ts';
import { processesRunning } from '../helpers.ts';

const SCRIPT = path.join(PROJECT_ROOT, 'docker/test-hosts.sh');
const DIR = '/tmp/bench-test-hosts-vitest';
const env = { BENCH_TEST_HOSTS_DIR: DIR, BENCH_TEST_SUBNET: '10.214.0', BENCH_TEST_HOSTS_PREFIX: 'bench-v' };
const hostsScript = (...args: string[]) => execa('bash', [SCRIPT, ...args], { env, reject: false, all: true });

interface Host {
  name: string;
  tcp: string;
  ssh: string;
}
let hosts: Host[] = [];
let key: string;

beforeAll(async () => {
  await hostsScript('down');
  const up = await hostsScript('up', '2');
  if (up.exitCode !== 0) throw new Error(`docker/test-hosts.sh up 2 failed (it needs root, podman, openssh-server and the Docker CLI):\n${up.all}`);
  const lines = String(up.stdout).split('\n');
  hosts = lines.filter((l) => l.startsWith('host')).map((l) => {
    const [name, tcp, ssh] = l.split(' ');
    return { name: name!, tcp: tcp!, ssh: ssh! };
  });
  key = lines.find((l) => l.startsWith('key '))!.slice(4);
}, 60_000);

afterAll(async () => {
  await hostsScript('down');
});

const overTcp = (h: Host) => {
  const u = new URL(h.tcp);
  return new Docker({ host: u.hostname, port: Number(u.port), protocol: 'http' });
};
const overSsh = (h: Host) => {
  const u = new URL(h.ssh);
  return new Docker({ protocol: 'ssh', host: u.hostname, port: 22, username: u.username, sshOptions: { privateKey: fs.readFileSync(key) } } as Docker.DockerOptions);
};

describe('test hosts', () => {
  it('prints an engine address per host on the test subnet', () => {
    expect(hosts.map((h) => h.name)).toEqual(['host1', 'host2']);
    expect(hosts[0]).toEqual({ name: 'host1', tcp: 'tcp://10.214.0.1:2375', ssh: 'ssh://root@10.214.0.1' });
  });

  it('answers on tcp:// and on ssh:// (through the Docker CLI on the far side) with the same engine', async () => {
    for (const h of hosts) {
      const [tcp, ssh] = [overTcp(h), overSsh(h)];
      expect((await tcp.version()).Components?.some((c) => /podman/i.test(c.Name))).toBe(true);
      const volume = `bench-test-${h.name}`;
      await tcp.createVolume({ Name: volume });
      // The same engine behind both addresses: what one made, the other lists.
      const seen = ((await ssh.listVolumes()).Volumes ?? []).map((v) => v.Name);
      expect(seen).toContain(volume);
    }
  }, 60_000);

  it('gives each host storage of its own', async () => {
    const [one, two] = hosts.map(overTcp);
    const names = async (d: Docker) => ((await d.listVolumes()).Volumes ?? []).map((v) => v.Name);
    expect(await names(one!)).toEqual(['bench-test-host1']);
    expect(await names(two!)).toEqual(['bench-test-host2']);
  });

  it('refuses a second up and a bad count, saying why', async () => {
    const again = await hostsScript('up', '1');
    expect(again.exitCode).toBe(1);
    expect(String(again.stderr)).toMatch(/hosts are already up in .* \(docker\/test-hosts\.sh down first\)/);
    const bad = await hostsScript('up', 'three');
    expect(bad.exitCode).toBe(1);
    expect(String(bad.stderr)).toMatch(/up takes the number of hosts, 1 to 99/);
  });

  it('down removes the namespaces, the bridge, the engines, sshd and the folder', async () => {
    const down = await hostsScript('down');
    expect(down.exitCode, String(down.all)).toBe(0);
    expect(String((await execa('ip', ['netns', 'list'])).stdout)).not.toMatch(/bench-th/);
    expect((await execa('ip', ['link', 'show', 'bench-tbr'], { reject: false })).exitCode).not.toBe(0);
    expect(processesRunning(DIR)).toEqual([]);
    expect(fs.existsSync(DIR)).toBe(false);
    expect(String((await hostsScript('status')).stdout)).toBe('');
  }, 60_000);
});
