// The loader workers' TCP transport: one interface over Bun's native sockets (Bun.connect, one set
// of handlers shared by every socket) and Node's node:net (reads into one shared buffer through
// `onread`: no Buffer and no 'data' event per read). Bun's node:net is a layer over its native
// sockets that cost about a quarter of the HTTP loader's throughput here, hence two transports.
// Runs inside the workers (harness/load/http/worker.ts, harness/load/ws/worker.ts) and in-process
// in tests; it imports nothing but node:net.
import net from 'node:net';

/** One TCP connection attempt, as the transport hands it to its owner. */
export interface Link {
  write(bytes: Buffer): void;
  /** Writes the last bytes, then half-closes (FIN). */
  end(bytes: Buffer): void;
  /** Closes at once (a reset where bytes are unread). */
  destroy(): void;
}

/**
 * What owns a link (a connection, a client): its events. Only the owner's current link reports;
 * events of an older attempt are dropped, so an owner can reconnect without stale callbacks.
 */
export interface LinkOwner {
  link: Link | null;
  onConnect(): void;
  /** `chunk` may be a buffer shared by every link: read `length` bytes now, keep no reference. */
  onData(chunk: Buffer, length: number): void;
  /** The peer closed the connection (FIN) or the socket closed without an error. */
  onClosed(): void;
  /** A failed connect, a reset, a write error; `kind` is the error's code where it has one. */
  onError(kind: string): void;
}

export interface Endpoint {
  /** An IP address: names are resolved once by the caller, not at every connect. */
  host: string;
  port: number;
  /** Source address and port to bind (loopback fan-out of the WebSocket loader). */
  localAddress?: string;
  localPort?: number;
}

export type TransportName = 'bun' | 'node:net';

export const errorKind = (error: unknown): string => (error as NodeJS.ErrnoException | undefined)?.code ?? (error as Error | undefined)?.message ?? String(error);

/** Reads of every node:net link land here; owners parse them before the next read. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

function connectNode(owner: LinkOwner, to: Endpoint): Link {
  const socket = net.connect({
    host: to.host,
    port: to.port,
    ...(to.localAddress !== undefined && { localAddress: to.localAddress }),
    ...(to.localPort !== undefined && { localPort: to.localPort }),
    onread: {
      buffer: READ_BUFFER,
      callback: (bytes: number) => {
        if (owner.link === link) owner.onData(READ_BUFFER, bytes);
        return true;
      },
    },
  });
  const link: Link = {
    write: (bytes) => void socket.write(bytes),
    end: (bytes) => void socket.end(bytes),
    destroy: () => void socket.destroy(),
  };
  socket.on('connect', () => {
    if (owner.link !== link) return;
    socket.setNoDelay(true);
    owner.onConnect();
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (owner.link === link) owner.onError(error.code ?? error.message);
  });
  socket.on('end', () => {
    if (owner.link === link) owner.onClosed();
  });
  socket.on('close', () => {
    if (owner.link === link) owner.onClosed();
  });
  return link;
}

// The part of Bun's TCP API used here (https://bun.sh/docs/api/tcp).
interface BunSocket {
  data: BunLink;
  /** Bytes written: fewer than given when the socket's buffer is full, -1 when it is closed. */
  write(bytes: Uint8Array): number;
  end(): void;
  terminate(): void;
  setNoDelay?(noDelay?: boolean): boolean;
}
interface BunHandlers {
  open(socket: BunSocket): void;
  data(socket: BunSocket, data: Buffer): void;
  drain(socket: BunSocket): void;
  end(socket: BunSocket): void;
  close(socket: BunSocket, error?: Error): void;
  error(socket: BunSocket, error: Error): void;
}
interface BunApi {
  connect(options: { hostname: string; port: number; localAddress?: string; localPort?: number; data: BunLink; socket: BunHandlers }): Promise<BunSocket>;
}

class BunLink implements Link {
  socket: BunSocket | null = null;
  closed = false;
  /** What a write could not hand over (the socket's buffer was full), written on drain. */
  pending: Buffer | null = null;
  /** Half-close once `pending` is written. */
  endAfterPending = false;
  constructor(readonly owner: LinkOwner) {}
  write(bytes: Buffer): void {
    if (!this.socket || this.closed) return;
    if (this.pending) {
      this.pending = Buffer.concat([this.pending, bytes]);
      return;
    }
    const written = this.socket.write(bytes);
    if (written >= 0 && written < bytes.length) this.pending = bytes.subarray(written);
  }
  end(bytes: Buffer): void {
    this.write(bytes);
    if (this.pending) this.endAfterPending = true;
    else this.socket?.end();
  }
  drain(): void {
    const pending = this.pending;
    if (!pending || !this.socket) return;
    this.pending = null;
    this.write(pending);
    if (!this.pending && this.endAfterPending) this.socket.end();
  }
  destroy(): void {
    this.closed = true;
    this.socket?.terminate();
  }
}

const BUN_HANDLERS: BunHandlers = {
  open(socket) {
    const link = socket.data;
    if (link.closed || link.owner.link !== link) {
      socket.terminate();
      return;
    }
    link.socket = socket;
    socket.setNoDelay?.(true);
    link.owner.onConnect();
  },
  data(socket, data) {
    const link = socket.data;
    if (link.owner.link === link) link.owner.onData(data, data.length);
  },
  drain(socket) {
    socket.data.drain();
  },
  end(socket) {
    const link = socket.data;
    if (link.owner.link === link) link.owner.onClosed();
  },
  close(socket, error) {
    const link = socket.data;
    if (link.owner.link !== link) return;
    if (error) link.owner.onError(errorKind(error));
    else link.owner.onClosed();
  },
  error(socket, error) {
    const link = socket.data;
    if (link.owner.link === link) link.owner.onError(errorKind(error));
  },
};

const BUN = (globalThis as { Bun?: BunApi }).Bun;

function connectBun(owner: LinkOwner, to: Endpoint): Link {
  const link = new BunLink(owner);
  const local = { ...(to.localAddress !== undefined && { localAddress: to.localAddress }), ...(to.localPort !== undefined && { localPort: to.localPort }) };
  // A failed connect rejects the promise (no connectError handler, so that it is reported once).
  BUN!.connect({ hostname: to.host, port: to.port, ...local, data: link, socket: BUN_HANDLERS }).catch((error: unknown) => {
    if (owner.link === link) owner.onError(errorKind(error));
  });
  return link;
}

/** The transport used when none is forced: Bun's native sockets under Bun, node:net under Node. */
export const defaultTransport = (): TransportName => (BUN ? 'bun' : 'node:net');

/**
 * A connect function for `transport` (default: the best this runtime has). The owner must set
 * `owner.link` to the returned link at once: events are delivered only to the current link.
 */
export function transport(name: TransportName = defaultTransport()): (owner: LinkOwner, to: Endpoint) => Link {
  if (name === 'bun' && !BUN) throw new Error('the bun transport needs Bun (this runtime is Node)');
  return name === 'bun' ? connectBun : connectNode;
}
