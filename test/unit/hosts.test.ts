// Hosts as data: engine addresses, how they are connected (TLS, ssh keys, known hosts, plain tcp://
// only when allowed), CPUs per machine, and the refusal to take a ratio across two target hosts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerOptions, loadKnownHosts, parseHostAddress } from '../../harness/hosts/address.ts';
import { planHostCpus } from '../../harness/hosts/cpus.ts';
import type { HostPlan, RunHost } from '../../harness/hosts/plan.ts';
import { localAddressToward } from '../../harness/hosts/plan.ts';
import { checkHosts, hostSpecs } from '../../harness/hosts/run-hosts.ts';
import { hostsApart } from '../../harness/claims/evaluate.ts';
import { hostsTable } from '../../harness/report/hosts.ts';
import type { HostRecord, RunResults } from '../../harness/schema.ts';
import type { Engine } from '../../harness/docker/engine.ts';
import type { UserError } from '../../harness/errors.ts';

/** What a user reads: the message and the fix. */
const said = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return (error as UserError).summary();
  }
  return 'no error';
};

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bench-hosts-unit-'));

describe('engine addresses', () => {
  it('parses the three forms as Docker users write them', () => {
    expect(parseHostAddress('unix:///run/podman/podman.sock', '--target-host')).toMatchObject({ kind: 'unix', socketPath: '/run/podman/podman.sock' });
    expect(parseHostAddress('ssh://bench@10.0.0.1', '--target-host')).toMatchObject({ kind: 'ssh', host: '10.0.0.1', port: 22, user: 'bench' });
    expect(parseHostAddress('ssh://h.example:2222', '--x')).toMatchObject({ kind: 'ssh', host: 'h.example', port: 2222, user: os.userInfo().username });
    expect(parseHostAddress('tcp://10.0.0.2', '--x')).toMatchObject({ kind: 'tcp', host: '10.0.0.2', port: 2376 });
  });

  it('refuses what is not an engine address, naming the flag and the forms', () => {
    expect(said(() => parseHostAddress('10.0.0.1', '--service-host'))).toMatch(/--service-host: "10\.0\.0\.1" is not an engine address.*unix:\/\/\/run\/podman\/podman\.sock, ssh:\/\/user@host/s);
    expect(() => parseHostAddress('http://x:2375', '--loader-host')).toThrow(/scheme http:\/\//);
    expect(() => parseHostAddress('unix://relative.sock', '--x')).toThrow(/absolute socket path/);
    expect(() => parseHostAddress('ssh://h/path', '--x')).toThrow(/has a path/);
  });

  it('speaks plain tcp:// only when allowed, and TLS with the certificates of DOCKER_CERT_PATH', () => {
    const a = parseHostAddress('tcp://10.0.0.2:2375', '--x');
    expect(said(() => dockerOptions(a, { env: {} }))).toMatch(/plain tcp:\/\/ engine address.*--insecure-engines/s);
    expect(dockerOptions(a, { env: {}, insecure: true })).toMatchObject({ protocol: 'http', host: '10.0.0.2', port: 2375 });
    const dir = tmp();
    expect(() => dockerOptions(a, { env: { DOCKER_CERT_PATH: dir } })).toThrow(/ca\.pem does not exist/);
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) fs.writeFileSync(path.join(dir, f), f);
    expect(dockerOptions(a, { env: { DOCKER_CERT_PATH: dir } })).toMatchObject({ protocol: 'https', ca: Buffer.from('ca.pem') });
  });

  it('trusts an ssh host only by a key listed in known_hosts, plain or hashed', () => {
    const dir = tmp();
    const file = path.join(dir, 'known_hosts');
    const blob = crypto.randomBytes(51);
    const other = crypto.randomBytes(51);
    const salt = crypto.randomBytes(20);
    const hashed = crypto.createHmac('sha1', salt).update('[10.0.0.9]:2222').digest('base64');
    fs.writeFileSync(file, `10.0.0.1 ssh-ed25519 ${blob.toString('base64')}\n|1|${salt.toString('base64')}|${hashed} ssh-ed25519 ${other.toString('base64')}\n@revoked 10.0.0.1 ssh-ed25519 ${other.toString('base64')}\n`);
    expect(loadKnownHosts(file, '10.0.0.1', 22)).toEqual([blob]);
    expect(loadKnownHosts(file, '10.0.0.9', 2222)).toEqual([other]);
    expect(loadKnownHosts(file, '10.0.0.9', 22)).toEqual([]);
    const key = path.join(dir, 'id');
    fs.writeFileSync(key, 'not really a key');
    const o = dockerOptions(parseHostAddress('ssh://root@10.0.0.1', '--x'), { knownHosts: file, sshKey: key, env: {} }) as { sshOptions: { hostVerifier(k: Buffer): boolean; privateKey: Buffer } };
    expect(o.sshOptions.privateKey.toString()).toBe('not really a key');
    expect(o.sshOptions.hostVerifier(blob)).toBe(true);
    expect(o.sshOptions.hostVerifier(other)).toBe(false);
    expect(said(() => dockerOptions(parseHostAddress('ssh://root@10.0.0.2', '--x'), { knownHosts: file, sshKey: key, env: {} }))).toMatch(/not in .*known_hosts.*ssh-keyscan -p 22 10\.0\.0\.2/s);
    expect(() => dockerOptions(parseHostAddress('ssh://root@10.0.0.1', '--x'), { knownHosts: file, sshKey: path.join(dir, 'nope'), env: {} })).toThrow(/--ssh-key: .*nope does not exist/);
  });
});

describe('run flags', () => {
  it('takes each role from its flag, else from bench.config.ts', () => {
    expect(hostSpecs({ 'target-host': 'ssh://a' }, { hosts: { target: 'ssh://b', loader: 'ssh://c' } })).toEqual({ target: 'ssh://a', loader: 'ssh://c' });
  });
  it('refuses hosts for a runtime that runs processes here, naming the flag', () => {
    expect(said(() => checkHosts({ service: 'ssh://a' }, {}, false, 'local'))).toMatch(/--service-host needs a runtime .*the local runtime.*--runtime docker/s);
    expect(() => checkHosts({}, {}, false, 'local')).not.toThrow();
  });
  it('finds the address this machine has toward another', async () => {
    expect(await localAddressToward('127.0.0.1')).toBe('127.0.0.1');
  });
});

const host = (name: string, roles: RunHost['roles'], remote = true): RunHost => ({ name, address: null, engine: {} as Engine, ip: '10.0.0.1', remote, roles, insecure: false });
const record = (name: string, cores: number, bootId: string | null): HostRecord => ({
  name, roles: [], remote: true, ip: '10.0.0.1', insecure: false, engine: { name: 'podman', version: '5', apiVersion: '1.41' }, cpuModel: 'cpu', cores, memoryBytes: 2 ** 30, kernel: '6', bootId, clock: null,
});

describe('CPUs across hosts', () => {
  it("gives a machine's CPUs to the one role it runs, and splits them where it runs several", () => {
    const [t, s, l] = [host('ssh://t', ['target']), host('ssh://s', ['service']), host('ssh://l', ['loader'])];
    const here = host('this machine', [], false);
    const plan: HostPlan = { target: t, service: s, loader: l, hosts: [t, s, l], spread: true };
    const { cpus } = planHostCpus(plan, [record('ssh://t', 8, 'a'), record('ssh://s', 4, 'b'), record('ssh://l', 2, 'c')], {}, true);
    expect(cpus).toMatchObject({ targetCpus: [0, 1, 2, 3, 4, 5, 6, 7], serviceCpus: [0, 1, 2, 3], loaderCpus: [0, 1] });
    void here;
    const both = host('ssh://tl', ['target', 'loader']);
    const split = planHostCpus({ target: both, service: s, loader: both, hosts: [both, s], spread: true }, [record('ssh://tl', 4, 'a'), record('ssh://s', 4, 'b')], {}, true);
    expect(split.cpus.targetCpus).toEqual([2, 3]);
    expect(split.cpus.loaderCpus).toEqual([0, 1]);
  });

  it('plans hosts of one kernel (namespaces of one machine) as one machine, and says so', () => {
    const [t, s, l] = [host('ssh://1', ['target']), host('tcp://2', ['service']), host('ssh://3', ['loader'])];
    const { cpus, shared } = planHostCpus({ target: t, service: s, loader: l, hosts: [t, s, l], spread: true }, [record('ssh://1', 2, 'x'), record('tcp://2', 2, 'x'), record('ssh://3', 2, 'x')], {}, true);
    expect(cpus).toMatchObject({ targetCpus: [1], loaderCpus: [0], serviceCpus: [0] });
    expect(shared[0]).toMatch(/are one machine \(the same kernel boot id\)/);
  });
});

describe('claims and reports', () => {
  it('never takes a ratio across two target hosts', () => {
    const run = { targets: { node: { host: 'ssh://a' }, django: { host: 'ssh://b' }, deno: { host: 'ssh://a' } } } as unknown as RunResults;
    expect(hostsApart(run, 'node', 'deno')).toBeNull();
    expect(hostsApart(run, 'node', 'django')).toMatch(/node ran on ssh:\/\/a and django on ssh:\/\/b: a ratio across two target hosts/);
    const local = { targets: { node: {}, django: {} } } as unknown as RunResults;
    expect(hostsApart(local, 'node', 'django')).toBeNull();
  });

  it('shows each host, what ran there, an insecure engine and its clock', () => {
    const results = { environment: { hosts: [{ ...record('tcp://2', 2, 'x'), roles: ['service'], insecure: true, clock: { offsetMs: 0.25, rttMs: 0.5, method: 'm' } }] } } as unknown as RunResults;
    const table = hostsTable(results)!;
    expect(table.rows[0]![0]).toMatch(/tcp:\/\/2 \(10\.0\.0\.1\), reached over plain tcp:\/\/ \(--insecure-engines/);
    expect(table.rows[0]![4]).toMatch(/^\+0\.25 ms, ±0\.25 ms/);
    expect(hostsTable({ environment: {} } as unknown as RunResults)).toBeNull();
  });
});
