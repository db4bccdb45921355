// A host's engine address as Docker users write it (DOCKER_HOST): unix:///path, ssh://[user@]host[:port]
// or tcp://host:port. tcp:// is TLS when certificates are given (DOCKER_CERT_PATH, as Docker's CLI);
// plain tcp:// lets anyone on the network run containers there, so it needs --insecure-engines.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { UserError } from '../errors.ts';

export interface HostAddress {
  /** As given, for messages and results.json. */
  raw: string;
  kind: 'unix' | 'ssh' | 'tcp';
  /** unix: the socket's path. */
  socketPath?: string;
  /** ssh and tcp: the name or IP and the port. */
  host?: string;
  port?: number;
  /** ssh: the user (default: this machine's user). */
  user?: string;
}

const FORMS = 'unix:///run/podman/podman.sock, ssh://user@host[:port] or tcp://host:2376';

/** Parses an engine address; the error names `flag` and the forms allowed. */
export function parseHostAddress(text: string, flag: string): HostAddress {
  const bad = (why: string) => new UserError(`${flag}: "${text}" ${why}.`, `Give an engine address as Docker users write DOCKER_HOST: ${FORMS}.`);
  const scheme = /^([a-z]+):\/\//.exec(text)?.[1];
  if (!scheme) throw bad('is not an engine address');
  if (scheme === 'unix') {
    const socketPath = text.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw bad('needs an absolute socket path (unix:///path)');
    return { raw: text, kind: 'unix', socketPath };
  }
  if (scheme !== 'ssh' && scheme !== 'tcp') throw bad(`has the scheme ${scheme}://, which is not one of unix://, ssh://, tcp://`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('is not a valid URL');
  }
  if (!url.hostname) throw bad('names no host');
  if (url.pathname && url.pathname !== '/') throw bad('has a path; an engine address has none');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (scheme === 'ssh') return { raw: text, kind: 'ssh', host, port: url.port ? Number(url.port) : 22, user: decodeURIComponent(url.username) || os.userInfo().username };
  return { raw: text, kind: 'tcp', host, port: url.port ? Number(url.port) : 2376 };
}

export interface ConnectOptions {
  /** A private key for ssh:// (default: the ssh agent, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa). */
  sshKey?: string;
  /** known_hosts for ssh:// host keys (default ~/.ssh/known_hosts); a host not in it is refused. */
  knownHosts?: string;
  /** Allows plain tcp:// (no TLS). */
  insecure?: boolean;
  /** Folder with ca.pem, cert.pem, key.pem for tcp:// with TLS (default DOCKER_CERT_PATH). */
  certDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** Whether a tcp:// address will be spoken to over TLS. */
export const tlsDir = (o: ConnectOptions): string | undefined => o.certDir ?? (o.env ?? process.env).DOCKER_CERT_PATH;

/** dockerode's options for an address; throws a UserError when a key, a certificate or a known host is missing. */
export function dockerOptions(a: HostAddress, o: ConnectOptions = {}): Docker.DockerOptions {
  if (a.kind === 'unix') return { socketPath: a.socketPath! };
  if (a.kind === 'tcp') {
    const dir = tlsDir(o);
    if (!dir) {
      if (!o.insecure)
        throw new UserError(
          `${a.raw} is a plain tcp:// engine address: the engine would take commands from anyone on the network, unauthenticated and unencrypted.`,
          'Reach it by ssh:// instead, or give its TLS certificates (DOCKER_CERT_PATH=<folder with ca.pem, cert.pem, key.pem>), or pass --insecure-engines (the report records it).',
        );
      return { host: a.host!, port: a.port!, protocol: 'http' };
    }
    const read = (file: string) => {
      const p = path.join(dir, file);
      if (!fs.existsSync(p)) throw new UserError(`TLS for ${a.raw}: ${p} does not exist.`, 'DOCKER_CERT_PATH must hold ca.pem, cert.pem and key.pem, as for Docker.');
      return fs.readFileSync(p);
    };
    return { host: a.host!, port: a.port!, protocol: 'https', ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
  }
  const env = o.env ?? process.env;
  const home = os.homedir();
  const knownHosts = o.knownHosts ?? path.join(home, '.ssh/known_hosts');
  const keys = loadKnownHosts(knownHosts, a.host!, a.port!);
  if (!keys.length)
    throw new UserError(`The ssh host key of ${a.raw} is not in ${knownHosts}: the harness does not trust a host it has not met.`, `Check the key and add it: ssh-keyscan -p ${a.port} ${a.host} >> ${knownHosts} (or give --ssh-known-hosts FILE).`);
  const key = o.sshKey ?? (env.SSH_AUTH_SOCK ? undefined : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => path.join(home, '.ssh', f)).find((f) => fs.existsSync(f)));
  if (o.sshKey && !fs.existsSync(o.sshKey)) throw new UserError(`--ssh-key: ${o.sshKey} does not exist.`, 'Give the private key that logs in to the engine hosts.');
  if (!key && !env.SSH_AUTH_SOCK) throw new UserError(`No ssh key for ${a.raw}: no agent (SSH_AUTH_SOCK) and no ~/.ssh/id_ed25519, id_ecdsa or id_rsa.`, 'Give one with --ssh-key FILE, or start an ssh agent with the key.');
  return {
    protocol: 'ssh',
    host: a.host!,
    port: a.port!,
    username: a.user!,
    sshOptions: {
      ...(key ? { privateKey: fs.readFileSync(key) } : { agent: env.SSH_AUTH_SOCK }),
      readyTimeout: 10_000,
      hostVerifier: (presented: Buffer) => keys.some((k) => k.equals(presented)),
    },
  } as Docker.DockerOptions;
}

/** The host keys known_hosts lists for host:port (plain and hashed entries; markers such as @revoked skip the line). */
export function loadKnownHosts(file: string, host: string, port: number): Buffer[] {
  if (!fs.existsSync(file)) return [];
  const names = port === 22 ? [host] : [`[${host}]:${port}`];
  const out: Buffer[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 3 || fields[0]!.startsWith('#') || fields[0]!.startsWith('@')) continue;
    const [patterns, , key] = fields as [string, string, string];
    if (patterns.split(',').some((p) => names.some((n) => matches(p, n)))) out.push(Buffer.from(key, 'base64'));
  }
  return out;
}

/** One known_hosts pattern against a name: a plain name, or OpenSSH's hashed form |1|salt|hmac. */
function matches(pattern: string, name: string): boolean {
  if (!pattern.startsWith('|1|')) return pattern === name;
  const [, , salt, hash] = pattern.split('|');
  if (!salt || !hash) return false;
  return crypto.createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}

/** The IP or name at which this address's host is reached from here; null for a unix socket (this machine). */
export const hostOf = (a: HostAddress): string | null => (a.kind === 'unix' ? null : a.host!);
