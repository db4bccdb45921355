// Runs one autocannon trial inside the pinned loader process and prints the result as JSON.
// The loader measures its own CPU use (process.cpuUsage) over the trial, so a saturated loader
// can be told apart from a saturated server.
import autocannon from 'autocannon';
import * as hdr from 'hdr-histogram-js';
import type { HttpLoadRequest } from '../types.ts';
import { fromAutocannon } from './autocannon-result.ts';
import { LOAD_STARTED } from './protocol.ts';

const request = JSON.parse(process.argv[2] ?? '{}') as HttpLoadRequest;

// autocannon's own latency histogram keeps whole milliseconds; a fast server answers in well under
// one, so latencies of 2xx responses are also recorded here in microseconds.
const latencyUs = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });

// Tells the parent that the load starts now, so that it samples the target over the load only
// (not over this process's own start-up).
process.stderr.write(`${LOAD_STARTED}\n`);
const cpuStart = process.cpuUsage();
const wallStart = performance.now();
const result = await new Promise<autocannon.Result>((resolve, reject) => {
  const instance = autocannon(
    { url: request.url, connections: request.connections, duration: request.durationS, pipelining: request.pipelining, timeout: 10 },
    (error, res) => (error ? reject(error) : resolve(res)),
  );
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
    if (statusCode >= 200 && statusCode < 300) latencyUs.recordValue(Math.max(1, Math.round(responseTimeMs * 1000)));
  });
  process.on('SIGTERM', () => instance.stop());
});
const cpu = process.cpuUsage(cpuStart);
const wallMs = performance.now() - wallStart;

const pct = (p: number) => (latencyUs.totalCount ? latencyUs.getValueAtPercentile(p) / 1000 : 0);
const output = fromAutocannon(
  result,
  {
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    p999: pct(99.9),
    mean: latencyUs.totalCount ? latencyUs.mean / 1000 : 0,
    max: latencyUs.totalCount ? latencyUs.maxValue / 1000 : 0,
  },
  wallMs > 0 ? ((cpu.user + cpu.system) / 1000 / wallMs) * 100 : null,
);
process.stdout.write(JSON.stringify(output) + '\n');
