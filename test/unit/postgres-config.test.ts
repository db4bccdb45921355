// PostgreSQL's configuration: both runtimes' arguments come from the one recorded list, and the
// pieces that find the local binaries (platform, shared-library symlinks, the cached copy).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseRefs, BASE_KEYS } from '../../harness/docker/bases.ts';
import { UserError } from '../../harness/errors.ts';
import { serviceContext } from '../../harness/runtime/docker.ts';
import { asUser, cachedCopy, hydrateSymlinks, platformPackage } from '../../harness/services/embedded-postgres.ts';
import { INITDB_OPTIONS, initdbArgs, POSTGRES_CONFIG, postgresArgs, SERVER_SETTINGS } from '../../harness/services/postgres-config.ts';
import { postgresService } from '../../harness/services/postgres.ts';
import { PROJECT_ROOT } from '../../harness/targets.ts';

const temps: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pgtest-'));
  temps.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('postgres configuration', () => {
  it('builds the -c arguments from the settings list, one pair per setting, in order', () => {
    const args = postgresArgs();
    expect(args).toHaveLength(2 * SERVER_SETTINGS.length);
    SERVER_SETTINGS.forEach(({ setting, value }, i) => {
      expect(args[2 * i]).toBe('-c');
      expect(args[2 * i + 1]).toBe(`${setting}=${value}`);
    });
    expect(postgresArgs([{ setting: 'work_mem', value: '8MB', reason: 'x' }])).toEqual(['-c', 'work_mem=8MB']);
  });

  it('hands the container exactly the same server settings and initdb options', () => {
    const env = postgresService.docker!.env(5433);
    expect(env.PG_PORT).toBe('5433');
    expect(env.PG_ARGS!.split(' ')).toEqual(postgresArgs());
    expect(env.PG_INITDB_ARGS!.split(' ')).toEqual(initdbArgs());
    expect(postgresService.docker!.base).toBe('debian');
  });

  it('records every setting and initdb option with its reason', () => {
    expect(postgresService.config).toBe(POSTGRES_CONFIG);
    expect(POSTGRES_CONFIG).toHaveLength(SERVER_SETTINGS.length + INITDB_OPTIONS.length);
    const byName = Object.fromEntries(POSTGRES_CONFIG.map((c) => [c.setting, c.value]));
    expect(byName).toMatchObject({
      listen_addresses: '127.0.0.1',
      max_connections: '1000',
      synchronous_commit: 'off',
      shared_preload_libraries: 'pg_stat_statements',
      'initdb --username': 'bench',
      'initdb --auth': 'trust',
      'initdb --encoding': 'UTF8',
    });
    expect(byName.shared_buffers).toMatch(/^\d+MB$/);
    expect(byName['pg_stat_statements.track']).toMatch(/^(top|all)$/);
    expect(byName.fsync).toBeUndefined(); // durability of the WAL's flush is only relaxed by synchronous_commit
    for (const c of POSTGRES_CONFIG) expect(c.reason.length, c.setting).toBeGreaterThan(20);
    expect(initdbArgs()).toContain('--locale=C');
    expect(initdbArgs()).toContain('--data-checksums');
  });

  it('refuses a value that would not survive the container shell as one word', () => {
    expect(() => postgresArgs([{ setting: 'search_path', value: 'a, b', reason: 'x' }])).toThrow(/one word/);
    expect(() => postgresArgs([{ setting: 'x', value: '$(id)', reason: 'x' }])).toThrow(/one word/);
    expect(() => initdbArgs([{ option: '--locale', value: '', reason: 'x' }])).not.toThrow(); // "--locale=" is one word
  });

  it('hands the targets a DATABASE_URL for database bench', () => {
    expect(postgresService.env({ host: '127.0.0.1', port: 6543 })).toEqual({ DATABASE_URL: 'postgres://bench:bench@127.0.0.1:6543/bench' });
  });
});

describe('embedded postgres binaries', () => {
  it('resolves the platform package on linux x64/arm64 and says what to do elsewhere', () => {
    if (process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')) {
      const pkg = platformPackage();
      expect(pkg.name).toBe(`@embedded-postgres/linux-${process.arch}`);
      expect(fs.existsSync(path.join(pkg.dir, 'native/bin/postgres'))).toBe(true);
      expect(pkg.version).toMatch(/^\d+\.\d+/);
    }
    expect(() => platformPackage('darwin', 'arm64')).toThrow(UserError);
    expect(() => platformPackage('linux', 'ia32')).toThrow(/Linux x64 and arm64 only; this machine is linux-ia32/);
  });

  it('creates the shared-library symlinks idempotently, relative to their folder', () => {
    const pkg = tempDir();
    fs.mkdirSync(path.join(pkg, 'native/lib'), { recursive: true });
    fs.writeFileSync(path.join(pkg, 'native/lib/libpq.so.5.18'), 'lib');
    fs.writeFileSync(
      path.join(pkg, 'native/pg-symlinks.json'),
      JSON.stringify([
        { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' },
        { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so' },
      ]),
    );
    fs.writeFileSync(path.join(pkg, 'native/lib/libpq.so'), 'a stale copy');
    expect(hydrateSymlinks(pkg)).toBe(2);
    expect(hydrateSymlinks(pkg)).toBe(0);
    expect(fs.readlinkSync(path.join(pkg, 'native/lib/libpq.so.5'))).toBe('libpq.so.5.18');
    expect(fs.readFileSync(path.join(pkg, 'native/lib/libpq.so'), 'utf8')).toBe('lib');
  });

  it('copies native/ once into a cache that is readable by all and keeps its links', () => {
    const pkg = tempDir();
    fs.mkdirSync(path.join(pkg, 'native/bin'), { recursive: true });
    fs.mkdirSync(path.join(pkg, 'native/lib'), { recursive: true });
    fs.writeFileSync(path.join(pkg, 'native/bin/postgres'), '#!/bin/sh\n', { mode: 0o700 });
    fs.writeFileSync(path.join(pkg, 'native/lib/libpq.so.5.18'), 'lib', { mode: 0o600 });
    fs.writeFileSync(path.join(pkg, 'native/pg-symlinks.json'), JSON.stringify([{ source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' }]));
    const cache = tempDir();
    const native = cachedCopy(pkg, 'pg-test-1', cache);
    expect(native).toBe(path.join(cache, 'bench-pg-test-1/native'));
    expect(fs.statSync(path.join(native, 'bin/postgres')).mode & 0o777).toBe(0o755);
    expect(fs.statSync(path.join(native, 'lib/libpq.so.5.18')).mode & 0o777).toBe(0o644);
    expect(fs.readlinkSync(path.join(native, 'lib/libpq.so.5'))).toBe('libpq.so.5.18');
    // Reused, not copied again; no temporary folder left beside it.
    fs.writeFileSync(path.join(native, 'marker'), '');
    expect(cachedCopy(pkg, 'pg-test-1', cache)).toBe(native);
    expect(fs.existsSync(path.join(native, 'marker'))).toBe(true);
    expect(fs.readdirSync(cache)).toEqual(['bench-pg-test-1']);
    // A cache others could write to is not trusted.
    fs.chmodSync(path.join(cache, 'bench-pg-test-1'), 0o777);
    expect(() => cachedCopy(pkg, 'pg-test-1', cache)).toThrow(UserError);
  });

  it('runs the server as another user through setpriv only when there is one', () => {
    expect(asUser(null, ['initdb', '-D', 'x'])).toEqual(['initdb', '-D', 'x']);
    expect(asUser({ name: 'postgres', uid: 101, gid: 104 }, ['initdb'])).toEqual(['setpriv', '--reuid=101', '--regid=104', '--init-groups', '--', 'initdb']);
  });
});

describe('the debian base and the service build context', () => {
  it('resolves the debian base to the trimmed local trixie image, or the official slim one', () => {
    expect(BASE_KEYS).toContain('debian');
    expect(baseRefs('debian')).toEqual({ official: 'docker.io/library/debian:trixie-slim', local: 'localhost/bench-local/debian:trixie-slim', suite: 'trixie' });
  });

  it("builds a service's image from the folder named like its Dockerfile", () => {
    expect(serviceContext('docker/postgres.Dockerfile')).toBe(path.join(PROJECT_ROOT, 'docker/postgres'));
    expect(fs.existsSync(path.join(serviceContext('docker/postgres.Dockerfile'), 'start.sh'))).toBe(true);
    expect(serviceContext('docker/no-such-service.Dockerfile')).toBe(path.join(PROJECT_ROOT, 'docker'));
  });
});
