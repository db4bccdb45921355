// Public types of the harness's WebSocket load generator (harness/load/ws): what a scenario asks
// for and what it gets back. Plain data only; histograms are HDR histograms in microseconds,
// encoded as the HTTP loader's `histogramUs` (hdr-histogram-js, compressed base64), so they merge
// exactly across workers, steps and runs.
import type { WorkerSpawner } from '../kit/spawner.ts';
import type { LatencyMs } from '../../types.ts';

/** Latency percentiles in milliseconds; p95 is what the capacity ramp is judged on. */
export interface WsLatencyMs extends LatencyMs {
  p95: number;
}

/**
 * The wire protocol the clients speak over the WebSocket. `websocket`: the contract's plain text
 * messages on the endpoint's own path. `socket.io`: Socket.IO's protocol (Engine.IO 4 over the
 * WebSocket transport only): the clients connect to `path` (e.g. "/socket.io/"; a missing trailing
 * "/" is added, as Socket.IO's client does) with `?EIO=4&transport=websocket`, join `namespace`
 * (e.g. "/echo"; "/" is the root namespace), answer the server's pings, and send and receive each
 * load message as a `message` event carrying one string (`42/echo,["message","…"]`). A client counts
 * as connected once the namespace connect is acknowledged. With socket.io the request's url gives
 * only the host and port. See socketio.ts.
 */
export type WsProtocol = { name: 'websocket' } | { name: 'socket.io'; path: string; namespace: string };

export interface WsLoaderOptions {
  /** Loader CPUs: one worker process per CPU (never more workers than clients), pinned there with taskset; more per CPU when the open-files limit requires. */
  cpus: number[];
  /** What runs a .ts program (see harness/load/loader-runtime.ts): Bun from npm, or Node through tsx. */
  runtime: { name: string; version: string; command: string[] };
  /** Where the workers run (default: processes here; containers on the loader host: harness/hosts/remote.ts). */
  spawner?: WorkerSpawner;
  /** Open-files limit asked for each worker (default 1,048,576), capped by what the system allows:
   * fs.nr_open with CAP_SYS_RESOURCE, the hard limit otherwise. Set with prlimit. When the clients
   * planned need more descriptors than that, each CPU gets several worker processes. */
  maxOpenFiles?: number;
  /** Worker processes one loader CPU may get when one process's open-files limit is too small for the clients (default 16). */
  maxWorkersPerCpu?: number;
  /** Clients per loopback source address (default 20,000): each binds an explicit source port from
   * the free stretch beside the ephemeral range (10000-32767 here), so an address holds ~22k at most. */
  clientsPerSourceAddress?: number;
  /** TCP connect plus the upgrade must finish within this (default 10,000 ms), or the connect failed. */
  connectTimeoutMs?: number;
  /** A message not answered (echo) or not delivered (broadcast) within this is lost (default 5,000 ms). */
  messageTimeoutMs?: number;
  /** Handshakes under way at once, all workers together (default 128): more would only queue at the server. */
  connectConcurrency?: number;
  /** The Origin header the clients send (default http://<host>, as a browser would); null sends none. */
  origin?: string | null;
  /** Stop a capacity ramp when the loader machine's MemAvailable falls below this (default the larger of 512 MiB and 5% of RAM). */
  minFreeMemoryBytes?: number;
}

/** What ended a capacity ramp. */
export type WsStopReason =
  /** The sample's p95 round trip passed rttLimitMs. */
  | 'rtt-limit'
  /** More than maxFailureRatio of a step's connects failed (refused, reset, timed out, upgrade refused). */
  | 'failures'
  /** maxClients are connected. */
  | 'ceiling'
  /** The loader ran out of ephemeral ports (EADDRNOTAVAIL, or EADDRINUSE binding a source address). */
  | 'ports'
  /** A worker reached its open-files limit (EMFILE, or the system's, ENFILE). */
  | 'file-descriptors'
  /** The loader machine ran low on memory (MemAvailable, or ENOMEM/ENOBUFS). */
  | 'loader-memory'
  /** onStep asked to stop. */
  | 'caller';

export interface WsCapacityRequest {
  /** Default { name: 'websocket' }. */
  protocol?: WsProtocol;
  /** ws://host:port/ws/echo (http:// is read as ws://). */
  url: string;
  /** Clients added per step. */
  stepClients: number;
  /** The ceiling: no step goes past it. */
  maxClients: number;
  /** Stop when a step's sample has a p95 round trip above this (default 250 ms). */
  rttLimitMs?: number;
  /** Stop when more than this share of a step's connects fail (default 0.01). */
  maxFailureRatio?: number;
  /** Echo messages sent after each step, over distinct held clients, round-robin across steps (default 200). */
  sampleMessages?: number;
  /** Their total rate per second (default 200: a one-second sample). */
  sampleRate?: number;
  /** Size of each load message in bytes (default 32; at least its header, ~25 bytes). With socket.io it
   * is the event's payload, the string the `message` event carries: each frame is that plus the
   * packet around it (`42/echo,["message","` and `"]`, 22 bytes for /echo). */
  messageBytes?: number;
}

export interface WsHandshakes {
  /** Upgrades completed (socket.io: namespace connects acknowledged). */
  ok: number;
  failed: number;
  /** Why connects failed, e.g. { ECONNREFUSED: 3, 'HTTP 503': 1, 'connect timeout': 2 }. */
  errorKinds: Record<string, number>;
  /** Completed upgrades per second of the time the opening took (workers together). */
  perS: number;
  /** From the TCP connect's start to the verified 101 response (socket.io: to the namespace connect's acknowledgement). */
  latencyMs: WsLatencyMs;
  histogramUs: string;
}

export interface WsRoundTrips {
  sent: number;
  received: number;
  /** Sent and not answered within messageTimeoutMs. They are in the histogram at messageTimeoutMs: an
   * unanswered message took at least that long, and leaving it out would flatter the percentiles. */
  lost: number;
  latencyMs: WsLatencyMs;
  histogramUs: string;
}

/** How late the open-loop schedule sent its messages: each message's actual send time minus its
 * scheduled one, in µs (at least 1 µs), one value per message sent. The round trips leave it out
 * (they run from the actual send time); here it shows whether the loader kept its rate. */
export interface WsScheduleLateness {
  latencyMs: WsLatencyMs;
  histogramUs: string;
}

export interface WsCapacityStep {
  /** 1-based. */
  step: number;
  /** Clients asked for in total once this step is done. */
  requested: number;
  /** Clients open at the end of the step (after its sample); they stay open during onStep. */
  connected: number;
  /** This step's connects. */
  handshakes: WsHandshakes;
  /** Held clients closed by the server or the network since the previous step, and why. */
  dropped: number;
  dropKinds: Record<string, number>;
  /** Messages during the step's sample that were no load message (see WsEchoResult.unexpected). */
  unexpected: number;
  /** The step's echo sample: round trips from each message's actual send time. */
  rtt: WsRoundTrips;
  /** The sample's schedule lateness (count: rtt.sent). */
  rttLateness: WsScheduleLateness;
  /** The busiest worker's CPU over the step, in percent of its CPU. */
  loaderCpuPct: number | null;
  /** When the step ended, in ms from the ramp's start. */
  atMs: number;
  /** Why the ramp ends after this step; null while it goes on. */
  stop: WsStopReason | null;
}

export interface WsCapacityResult {
  steps: WsCapacityStep[];
  stopReason: WsStopReason;
  /** The reason in a sentence, with the figure that crossed its limit. */
  stopDetail: string;
  /** Most clients connected at the end of a step whose p95 round trip was within rttLimitMs and whose failures stayed within maxFailureRatio (0 if none was). */
  maxClientsWithinLimits: number;
  /** Most clients connected at the end of any step. */
  maxConnected: number;
  /** Every step's connects together; perS over the time spent opening. */
  handshakes: WsHandshakes;
  rttLimitMs: number;
  /** Loopback source addresses the clients were spread over ([]: the target is not on loopback; the kernel chose). */
  sourceAddresses: string[];
  /** The lowest open-files limit among the workers. */
  openFilesLimit: number;
  workers: number;
}

export interface WsCapacityOptions {
  signal?: AbortSignal;
  /** Called after each step while its clients stay connected (read the target's memory here); the
   * next step waits for the returned promise. Return 'stop' to end the ramp (stopReason 'caller'). */
  onStep?: (step: WsCapacityStep) => void | 'stop' | Promise<void | 'stop'>;
}

export interface WsEchoRequest {
  /** Default { name: 'websocket' }. */
  protocol?: WsProtocol;
  /** ws://host:port/ws/echo */
  url: string;
  clients: number;
  /** Messages per second each client sends (open loop: a fixed schedule, staggered across clients; a late message is sent at once, and its lateness recorded in WsEchoResult.lateness). */
  ratePerClient: number;
  durationS: number;
  /** Size of each load message in bytes (default 32). With socket.io it is the event's payload, the
   * string the `message` event carries: each frame is that plus the packet around it (22 bytes for /echo). */
  messageBytes?: number;
}

export interface WsEchoResult {
  /** Clients connected when the sending began. */
  clients: number;
  handshakes: WsHandshakes;
  /** From the first send to the last echo counted (or the end of sending, if later). */
  durationS: number;
  /** Round trips from each message's actual send time (a clock read at the write), so that the
   * loader's timer lateness is not in them; a stalled server still shows, as its echoes come late. */
  rtt: WsRoundTrips;
  /** How late each message left against the open-loop schedule (count: rtt.sent). A loader that
   * cannot keep up shows here (and in achievedRate), not in the round trips. */
  lateness: WsScheduleLateness;
  /** Echoes received per second. */
  messagesPerS: number;
  /** ratePerClient × clients, and the rate actually sent. */
  requestedRate: number;
  achievedRate: number;
  /** Echoes that came back after a later message of the same client, or twice. */
  outOfOrder: number;
  /** Echoes carrying another client's id: the server answered the wrong connection. */
  misrouted: number;
  /** Messages that were no load message at all (socket.io: packets other than the namespace's `message`
   * events with one string and the protocol's own: other events, acks, unknown packets). */
  unexpected: number;
  dropped: number;
  dropKinds: Record<string, number>;
  loaderCpuPct: number | null;
  loaderCpuPerCpu?: number[];
}

export interface WsBroadcastRequest {
  /** Default { name: 'websocket' }. */
  protocol?: WsProtocol;
  /** ws://host:port/ws/broadcast */
  url: string;
  /** Clients connected, the sender included (the contract relays to every connected client, the sender too). */
  clients: number;
  durationS: number;
  /** Rounds per second (open loop). Absent: closed loop, the next round leaves when the sender has its own copy of the last. */
  rate?: number;
  /** Size of each load message in bytes (default 32). With socket.io it is the event's payload, the
   * string the `message` event carries: each frame is that plus the packet around it (22 bytes for /echo). */
  messageBytes?: number;
}

export interface WsBroadcastResult {
  clients: number;
  handshakes: WsHandshakes;
  mode: 'closed' | 'open';
  /** Messages the sender sent. */
  rounds: number;
  /** Rounds that reached every client still connected at the end. */
  completeRounds: number;
  deliveries: number;
  /** rounds × clients connected at the end. */
  expectedDeliveries: number;
  missing: number;
  /** Deliveries a client had already had, or that came after a later round. */
  outOfOrder: number;
  /** Messages that were not the broadcaster's load messages (socket.io: nor the protocol's own packets). */
  unexpected: number;
  /** From the first send to the last delivery. */
  durationS: number;
  deliveriesPerS: number;
  /** Per complete round: from its send time until the last client had it. */
  fanoutMs: WsLatencyMs;
  fanoutHistogramUs: string;
  /** Per delivery: from the send time until that client had it. */
  deliveryMs: WsLatencyMs;
  deliveryHistogramUs: string;
  dropped: number;
  dropKinds: Record<string, number>;
  loaderCpuPct: number | null;
  loaderCpuPerCpu?: number[];
}

/** What a WebSocket load generator can do; scenarios ask this, never a loader's name. */
export interface WsLoaderCapabilities {
  /** Speaks Socket.IO (WsProtocol 'socket.io') besides plain WebSocket messages. */
  socketio: boolean;
}

export interface WsLoader {
  name: string;
  version: string;
  /** What runs the workers, e.g. "bun 1.4.5". */
  runtime: string;
  can: WsLoaderCapabilities;
  /** Adds clients step by step, each held open, until a limit or the ceiling; see WsCapacityOptions.onStep. */
  capacity(request: WsCapacityRequest, options?: WsCapacityOptions): Promise<WsCapacityResult>;
  /** A fixed number of clients, each sending at a fixed rate for a duration. */
  echo(request: WsEchoRequest, signal?: AbortSignal): Promise<WsEchoResult>;
  /** Clients on a broadcast endpoint, one of them sending round after round. */
  broadcast(request: WsBroadcastRequest, signal?: AbortSignal): Promise<WsBroadcastResult>;
}
