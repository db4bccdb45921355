// What the harness's loader hands one worker (argv[2], JSON) and what the worker prints (one line of
// JSON on stdout). Types only, so that importing them runs nothing.
import type { StatusClasses } from '../../types.ts';

export interface WorkerConfig {
  /** An IP address or a name (resolved once, at start). */
  host: string;
  port: number;
  /** Path and query, e.g. /json. */
  path: string;
  /** The Host header's value. */
  hostHeader: string;
  connections: number;
  durationS: number;
  /** Requests each connection keeps in flight at most (closed loop: always). */
  pipelining: number;
  /** Open loop: this worker's requests per second. Absent: closed loop. */
  rate?: number;
  /** A request without a response after this long is one timeout; its connection is reopened. */
  timeoutMs: number;
  /** Sockets: Bun's native ones under Bun (the default there), node:net otherwise; 'node:net' forces node:net under Bun too (for comparisons). */
  transport?: 'node:net';
}

export interface WorkerOutput {
  /** Wall time of the load phase: from its start to the end of sending, or to the last response counted if that came later. */
  durationS: number;
  /** Wall time during which requests were sent (the load phase without the wait for the last responses). */
  sendDurationS: number;
  /** Responses received (every status, interim 1xx included). */
  requests: number;
  statusClasses: StatusClasses;
  /** Connect errors, resets, connections closed with requests in flight, malformed responses. */
  errors: number;
  /** Requests without a response after timeoutMs, each counted once. */
  timeouts: number;
  /** Requests written during the load phase. */
  sent: number;
  /** Latency of every final response in microseconds (hdr-histogram-js, compressed base64). */
  histogramUs: string;
  /** Why the errors happened, e.g. { ECONNRESET: 3, 'malformed status line': 1 }. */
  errorKinds: Record<string, number>;
}
