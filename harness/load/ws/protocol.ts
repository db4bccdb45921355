// Between the WebSocket loader (index.ts, through workers.ts) and its workers (worker.ts), on the
// kit's protocol (../kit/protocol.ts): the worker's configuration in argv[2], validated by
// wsWorkerConfigSchema; the commands, each answered with one reply, one at a time in the order sent
// (a capacity ramp opens, samples and holds; a broadcast listens, sends and collects). The worker
// says `ready` with its open-files limit; a command that fails is answered `error`.
import net from 'node:net';
import { z } from 'zod';

const isIp = (s: string) => net.isIP(s) !== 0;
const oneLine = /^[^\r\n]*$/;
const positive = z.number().positive();

export const wsWorkerConfigSchema = z.object({
  /** An IP address (the loader resolves names once). */
  host: z.string().refine(isIp, 'must be an IP address'),
  port: z.number().int().min(1).max(65_535),
  /** The Host header's value. */
  hostHeader: z.string().min(1).regex(oneLine),
  origin: z.string().regex(oneLine).nullable(),
  /** Loopback source addresses; client `id` binds to sourceAddresses[id % length]. Empty: no bind (the kernel chooses). */
  sourceAddresses: z.array(z.string().refine(isIp, 'must be an IP address')),
  /** Source ports, given explicitly with the addresses: client `id` first tries low + floor(id / addresses),
   * then random ports above low + planned. null: the kernel chooses (port 0). */
  sourcePorts: z
    .object({ low: z.number().int().min(1), high: z.number().int().max(65_535), planned: positive })
    .refine((p) => p.low <= p.high, 'low must not be above high')
    .nullable(),
  connectTimeoutMs: positive,
  messageTimeoutMs: positive,
  /** Handshakes under way at once in this worker. */
  connectConcurrency: positive,
  /** Sockets (../kit/transport.ts): Bun's native ones under Bun (the default there), node:net otherwise; 'node:net' forces node:net under Bun. */
  transport: z.enum(['bun', 'node:net']).optional(),
  /** Speak Socket.IO (see WsProtocol) on this namespace: the `open` commands' path is then the
   * Engine.IO request path (e.g. "/socket.io/?EIO=4&transport=websocket"). Absent: plain messages. */
  socketio: z
    .object({
      namespace: z
        .string()
        .regex(/^\/[\x21-\x7e]*$/, 'must start with "/" and be printable ASCII')
        .refine((ns) => !/[,"\\]/.test(ns), 'must not contain \',\', \'"\' or \'\\\''),
    })
    .optional(),
});

export type WsWorkerConfig = z.infer<typeof wsWorkerConfigSchema>;

/** What `ready` carries besides its type. */
export interface WsReady {
  /** The worker's open-files limit (soft), from /proc/self/limits; 0 when unknown. */
  openFilesLimit: number;
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

export type OpenedReply = { type: 'opened'; ok: number; failed: number; errorKinds: Record<string, number>; handshakeUs: string; openMs: number } & Drops;
/** rttUs: round trips from each message's actual send time; latenessUs: each sent message's send time
 * minus its scheduled one (count = sent). Both HDR histograms in µs, compressed base64. */
export type SampledReply = { type: 'sampled'; sent: number; received: number; lost: number; unexpected: number; rttUs: string; latenessUs: string } & Drops;
export type EchoedReply = {
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
} & Drops;
/** `sender`: the broadcaster's id (this worker's first open client when the command's sender was -1; -1 if it has none). */
export type ListeningReply = { type: 'listening'; sender: number } & Drops;
export type RoundsSentReply = { type: 'rounds-sent'; rounds: number; startMs: number; endMs: number };
export type CollectedReply = {
  type: 'collected';
  /** Per round: deliveries here, and the latest delivery's latency (µs); Uint32Array, base64. */
  counts: string;
  maxUs: string;
  deliveryUs: string;
  outOfOrder: number;
  unexpected: number;
  /** sharedClockMs() of the last delivery counted (0: none). */
  lastDeliveryMs: number;
} & Drops;

export type WsReply = OpenedReply | SampledReply | EchoedReply | ListeningReply | RoundsSentReply | CollectedReply | { type: 'closed' };
