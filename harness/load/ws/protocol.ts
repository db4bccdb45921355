// Between the WebSocket loader (index.ts) and its workers (worker.ts): the configuration (argv[2],
// JSON), commands (stdin, one JSON per line) and replies (stdout, one JSON per line, one reply per
// command, in order). Types only, so that importing them runs nothing.

export interface WsWorkerConfig {
  /** An IP address (the loader resolves names once). */
  host: string;
  port: number;
  /** The Host header's value. */
  hostHeader: string;
  origin: string | null;
  /** Loopback source addresses; client `id` binds to sourceAddresses[id % length]. Empty: no bind (the kernel chooses). */
  sourceAddresses: string[];
  /** Source ports, given explicitly with the addresses: client `id` first tries low + floor(id / addresses),
   * then random ports above low + planned. null: the kernel chooses (port 0). */
  sourcePorts: { low: number; high: number; planned: number } | null;
  connectTimeoutMs: number;
  messageTimeoutMs: number;
  connectConcurrency: number;
  /** Sockets: Bun's native ones under Bun (the default there), node:net otherwise; 'node:net' forces node:net under Bun. */
  transport?: 'node:net';
  /** Speak Socket.IO (see WsProtocol) on this namespace: the `open` commands' path is then the
   * Engine.IO request path (e.g. "/socket.io/?EIO=4&transport=websocket"). Absent: plain messages. */
  socketio?: { namespace: string };
}

export type WsCommand =
  /** Opens `count` more clients on `path`, with ids firstId, firstId+1, ... */
  | { cmd: 'open'; path: string; count: number; firstId: number }
  /** Sends `messages` echo messages over the open clients (distinct ones, round-robin across samples) at `rate` per second, and waits for the echoes. */
  | { cmd: 'sample'; messages: number; rate: number; bytes: number }
  /** Every open client sends `ratePerClient` messages per second for durationS, and the echoes are awaited. */
  | { cmd: 'echo'; ratePerClient: number; durationS: number; bytes: number }
  /** Clears the broadcast counters; deliveries from client `sender` are counted from now on. Sender -1: this
   * worker's first open client is the broadcaster (it sends at send-rounds). */
  | { cmd: 'listen'; sender: number }
  /** This worker's first open client sends rounds (rate null: closed loop) for durationS. */
  | { cmd: 'send-rounds'; rate: number | null; durationS: number; bytes: number }
  /** Waits until every round below `rounds` reached every open client here (or messageTimeoutMs passes), then reports. */
  | { cmd: 'collect'; rounds: number }
  /** Close handshake with every client (bounded wait), then the worker exits. */
  | { cmd: 'close' };

/** Counts of held clients that went away, since the last reply that carried them. */
export interface Drops {
  dropped: number;
  dropKinds: Record<string, number>;
  /** Clients open now. */
  open: number;
}

export type WsReply =
  | { type: 'ready'; openFilesLimit: number }
  | ({ type: 'opened'; ok: number; failed: number; errorKinds: Record<string, number>; handshakeUs: string; openMs: number } & Drops)
  /** rttUs: round trips from each message's actual send time; latenessUs: each sent message's send time
   * minus its scheduled one (count = sent). Both HDR histograms in µs, compressed base64. */
  | ({ type: 'sampled'; sent: number; received: number; lost: number; unexpected: number; rttUs: string; latenessUs: string } & Drops)
  | ({
      type: 'echoed';
      clients: number;
      sent: number;
      received: number;
      lost: number;
      outOfOrder: number;
      misrouted: number;
      unexpected: number;
      /** As in `sampled`. */
      rttUs: string;
      latenessUs: string;
      sendDurationS: number;
      durationS: number;
    } & Drops)
  /** `sender`: the broadcaster's id (this worker's first open client when the command's sender was -1; -1 if it has none). */
  | ({ type: 'listening'; sender: number } & Drops)
  | { type: 'rounds-sent'; rounds: number; startMs: number; endMs: number }
  | ({
      type: 'collected';
      /** Per round: deliveries here, and the latest delivery's latency (µs); Uint32Array, base64. */
      counts: string;
      maxUs: string;
      deliveryUs: string;
      outOfOrder: number;
      unexpected: number;
      /** sharedClockMs() of the last delivery counted (0: none). */
      lastDeliveryMs: number;
    } & Drops)
  | { type: 'closed' }
  | { type: 'error'; message: string };
