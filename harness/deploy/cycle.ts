// One deploy of one target onto the pulling host, as a node that lacks the image does it: the host
// is emptied (cold: nothing of any image; base present: only the base image's layers, pulled
// untimed and unlimited first, as on a node that already runs other apps on that base), its link
// set to the rate, the image pulled from the run's registry (timed to the moment it is stored,
// fetched and unpacked; the bytes that crossed the link counted), then a container started from it
// and polled from this machine until the first 200 from /json. Every container is removed after.
import { startContainer } from '../docker/container.ts';
import { declaredEnv } from '../targets.ts';
import { httpOk } from '../runtime/readiness.ts';
import type { Target } from '../types.ts';
import type { PullHost } from './pull-host.ts';

export const DEPLOY_CASES = ['cold', 'base-present'] as const;
export type DeployCase = (typeof DEPLOY_CASES)[number];

/** The port the deployed server listens on in the host's own network (nothing else runs there but the engine, on 2375, and sshd). */
const PORT = 8080;
/** Readiness polled as the startup scenario does, so that the poll does not dominate the start. */
const POLL_MS = 5;

export interface DeployMeasure {
  /** Bytes this machine sent the host over its link during the pull (the registry's answers, with HTTP and TCP overhead). */
  bytes: number;
  /** Pull request to the image stored on the host. */
  pullMs: number;
  /** Container create to the first 200 from /json. */
  startMs: number;
  totalMs: number;
}

export interface DeployCycleOptions {
  target: Target;
  /** The image in the registry as the host reaches it (`10.218.0.254:5000/bench/node:…`), and its base. */
  image: string;
  base: string;
  case: DeployCase;
  /** tc's rate words (1gbit, 100mbit). */
  rate: string;
  delayMs: number;
  cpus: number[];
  memoryBytes: number;
  readyTimeoutMs: number;
  logFile?: string;
  signal?: AbortSignal;
}

export async function deployOnce(host: PullHost, o: DeployCycleOptions): Promise<DeployMeasure> {
  const name = o.target.decl.name;
  await host.clear();
  if (o.case === 'base-present') {
    await host.setRate('off');
    await host.pull(o.base, o.signal);
  }
  await host.setRate(o.rate, o.delayMs);
  const before = host.txBytes();
  const t0 = performance.now();
  await host.pull(o.image, o.signal);
  const pullMs = performance.now() - t0;
  const bytes = host.txBytes() - before;
  const t1 = performance.now();
  const container = await startContainer(
    host.engine,
    { image: o.image, label: name, env: { ...declaredEnv(o.target), HOST: '0.0.0.0', PORT: String(PORT), WORKERS: String(o.cpus.length), TARGET_ADDRESS: host.ip }, cpus: o.cpus, memoryBytes: o.memoryBytes },
    { what: `target "${name}" deployed on the pulling host`, ...(o.logFile && { logFile: o.logFile }) },
  );
  try {
    await container.waitReady(
      httpOk(`http://${host.ip}:${PORT}`, { timeoutMs: o.readyTimeoutMs, intervalMs: POLL_MS, path: '/json' }),
      `Container of target "${name}" deployed from the registry`,
      `It started from the image it was measured with elsewhere; read its log lines below.`,
    );
    const startMs = performance.now() - t1;
    return { bytes, pullMs, startMs, totalMs: pullMs + startMs };
  } finally {
    await container.stop();
  }
}
