// What the harness's HTTP loader hands one worker (argv[2], JSON, validated with the schema below),
// the commands it sends and the replies it gets (the kit's protocol: harness/load/kit/protocol.ts).
import { z } from 'zod';
import type { StatusClasses } from '../../types.ts';

export const workerConfigSchema = z.object({
  /** An IP address or a name (resolved once, at setup). */
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** Path and query, e.g. /json. */
  path: z.string().regex(/^\/\S*$/, 'a path starting with / and without spaces'),
  /** The Host header's value. */
  hostHeader: z.string().regex(/^[^\r\n]+$/, 'one line, not empty'),
  connections: z.number().int().positive(),
  durationS: z.number().positive().finite(),
  /** Requests each connection keeps in flight at most (closed loop: always). */
  pipelining: z.number().int().positive(),
  /** Open loop: this worker's requests per second. Absent: closed loop. */
  rate: z.number().positive().finite().optional(),
  /** A request without a response after this long is one timeout; its connection is reopened. */
  timeoutMs: z.number().positive().finite(),
  /** Sockets: Bun's native ones under Bun (the default there), node:net otherwise; 'node:net' forces node:net under Bun too (for comparisons). */
  transport: z.enum(['bun', 'node:net']).optional(),
});

export type WorkerConfig = z.infer<typeof workerConfigSchema>;

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
  /** Why the errors happened, e.g. { ECONNRESET: 3, 'malformed response (bad status line)': 1 }. */
  errorKinds: Record<string, number>;
}

/** start: open the connections and begin the load (answered when it began); report: answered once the load has ended; stop: end it now. */
export type HttpCommand = { cmd: 'start' } | { cmd: 'report' } | { cmd: 'stop' };

export type HttpReply = { type: 'started' } | { type: 'report'; output: WorkerOutput } | { type: 'stopped' };
