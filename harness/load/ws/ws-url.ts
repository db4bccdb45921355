// A ws:// URL read into what a connection needs (the verification's clients, the loader's target).
import { UserError } from '../../errors.ts';

/** ws://host:port/path (http:// is read as ws://, as the targets' URLs are http://). */
export function parseWsUrl(url: string): { host: string; port: number; path: string; hostHeader: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`Not a URL: ${url}`, 'Give a URL such as ws://127.0.0.1:8080/ws/echo.');
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'http:') throw new UserError(`The harness's WebSocket loader speaks plain ws:// only, not ${u.protocol} (${url}).`);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { host, port: u.port ? Number(u.port) : 80, path: (u.pathname || '/') + u.search, hostHeader: u.host };
}

