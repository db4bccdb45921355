// Runs one autocannon trial inside the pinned loader process and prints the result as JSON.
// The loader measures its own CPU use (process.cpuUsage) over the trial, so a saturated loader
// can be told apart from a saturated server.
import autocannon from 'autocannon';
import type { HttpLoadRequest, HttpLoadResult } from '../types.ts';

const request = JSON.parse(process.argv[2] ?? '{}') as HttpLoadRequest;

const cpuStart = process.cpuUsage();
const wallStart = performance.now();
const result = await new Promise<autocannon.Result>((resolve, reject) => {
  const instance = autocannon(
    { url: request.url, connections: request.connections, duration: request.durationS, pipelining: request.pipelining, timeout: 10 },
    (error, res) => (error ? reject(error) : resolve(res)),
  );
  process.on('SIGTERM', () => instance.stop());
});
const cpu = process.cpuUsage(cpuStart);
const wallMs = performance.now() - wallStart;

const ok = result['2xx'];
const output: HttpLoadResult = {
  durationS: result.duration,
  requests: result.requests.total,
  // Throughput counts successful responses only; errors and non-2xx are reported beside it.
  rps: result.duration > 0 ? ok / result.duration : 0,
  latencyMs: {
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    p999: result.latency.p99_9,
    mean: result.latency.mean,
    max: result.latency.max,
  },
  errors: result.errors,
  timeouts: result.timeouts,
  non2xx: result.non2xx,
  loaderCpuPct: wallMs > 0 ? ((cpu.user + cpu.system) / 1000 / wallMs) * 100 : null,
};
process.stdout.write(JSON.stringify(output) + '\n');
