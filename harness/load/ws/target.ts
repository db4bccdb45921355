// Where the WebSocket clients connect: a ws:// URL read into host, port, path and Host header, with
// Socket.IO's request path when the protocol is socket.io, and the host resolved once.
import dns from 'node:dns/promises';
import net from 'node:net';
import { UserError } from '../../errors.ts';
import { normalizeSocketIo, socketIoRequestPath } from './socketio.ts';
import type { WsProtocol } from './types.ts';
import { parseWsUrl } from './ws-url.ts';

export interface WsTarget {
  ip: string;
  port: number;
  path: string;
  hostHeader: string;
}

/** The request's target as the protocol reaches it: with socket.io, the url's host and port, and the Engine.IO path. */
export function protocolTarget(url: string, protocol: WsProtocol | undefined): Omit<WsTarget, 'ip'> & { host: string; socketio?: { namespace: string } } {
  const parsed = parseWsUrl(url);
  if (!protocol || protocol.name === 'websocket') return parsed;
  if (protocol.name !== 'socket.io') throw new UserError(`Unknown WebSocket protocol ${JSON.stringify((protocol as { name?: unknown }).name)}: the loader speaks 'websocket' and 'socket.io'.`);
  let sio: ReturnType<typeof normalizeSocketIo>;
  try {
    sio = normalizeSocketIo(protocol);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  return { ...parsed, path: socketIoRequestPath(sio.path), socketio: { namespace: sio.namespace } };
}

/** protocolTarget with the host resolved once, IPv4 first (the servers here listen on 127.0.0.1). */
export async function resolveTarget(url: string, protocol: WsProtocol | undefined): Promise<WsTarget & { socketio?: { namespace: string } }> {
  const { host, ...rest } = protocolTarget(url, protocol);
  if (net.isIP(host)) return { ip: host, ...rest };
  const found = await dns.lookup(host, { all: true });
  const ip = (found.find((a) => a.family === 4) ?? found[0])?.address;
  if (!ip) throw new UserError(`${host} does not resolve.`);
  return { ip, ...rest };
}
