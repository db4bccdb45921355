// What the harness and its reader container on another host (reader-worker.ts, reader.ts) say to
// each other, on the kit's protocol (harness/load/kit/protocol.ts). Times the reader sends are its
// wall clock (performance.timeOrigin + performance.now(), in ms), which the harness maps onto its
// own performance.now() through the offset it measured.
import { z } from 'zod';

export const readerConfigSchema = z.object({
  /** The host as its engine address, for messages. */
  host: z.string().min(1),
});

export type ReaderConfig = z.infer<typeof readerConfigSchema>;

export type ReaderCommand =
  | { cmd: 'sample'; pid: number; pss: boolean }
  | { cmd: 'alive'; pid: number }
  | { cmd: 'host' }
  | { cmd: 'free-port' }
  | { cmd: 'clock' };

/** A ResourceSample with its time on the reader's wall clock. */
export interface RemoteSample {
  wallMs: number;
  memoryBytes: number;
  rssBytes: number | null;
  cpuSeconds: number;
}

export interface HostInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  /** The kernel's boot id: two hosts with the same one are one machine. */
  bootId: string | null;
}

export type ReaderReply =
  | { type: 'sample'; sample: RemoteSample | null }
  | { type: 'alive'; alive: boolean }
  | ({ type: 'host' } & HostInfo)
  | { type: 'port'; port: number }
  | { type: 'clock'; wallMs: number };
