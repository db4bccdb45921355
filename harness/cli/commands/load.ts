// `bench load <url>`: one trial of the chosen loader against any HTTP server, for users who want
// the harness's loader on their own server: req/s, latency percentiles, errors and the loader's
// CPU, as text or as JSON. A load that got no response at all fails, saying why (no-response.ts).
import { parseDuration, parsePositiveInt } from '../../config.ts';
import { UserError } from '../../errors.ts';
import { createLoader, DEFAULT_LOADER, errorKindsOf, LOADER_NAMES, parseLoaderName } from '../../load/index.ts';
import { NoResponseError, noResponse } from '../../load/no-response.ts';
import { fmtInt, fmtMs } from '../../report/format.ts';
import { cpuCount, parseCpuList, planCpus } from '../../runtime/cpus.ts';
import { pinProcess } from '../../runtime/pin-self.ts';
import { parseFlags } from '../args.ts';
import { installInterruptHandler } from '../interrupt.ts';

export const loadHelp = `Usage: npm run bench -- load <url> [options]

One trial of a load generator against any HTTP/1.1 server (http:// only), e.g.
  npm run bench -- load http://127.0.0.1:8080/json --connections 64 --duration 5

Options:
  --connections N     connections (default 64)
  --duration S        length of the load, e.g. 10 or 10s (default 10)
  --rate R            open loop: R requests/s in total, spread over the connections; latency is
                      measured from each request's intended send time (as wrk2). Default: closed
                      loop, each connection sends its next request when the previous answer arrives
  --pipelining P      requests in flight per connection (default 1)
  --loader NAME       ${LOADER_NAMES.join(', ')} (default harness: the harness's own loader, one
                      worker per loader CPU)
  --loader-cpus LIST  CPUs the loader runs on (default: the lower half, as in \`run\`)
  --loader-bound PCT  a loader CPU busier than this marks the figure as the loader's limit (default 90)
  --json              print the result as JSON
  -h, --help          this help

Exit code: 0 when responses came back (whatever their status, and even with some errors or
timeouts); 1 when none did: the message names the most frequent error (the connection was
refused, reset or timed out, or every request timed out), as curl or wrk would; 2 on bad input;
130 when interrupted.`;

export async function loadCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    'load',
    argv,
    {
      connections: { type: 'string' },
      duration: { type: 'string' },
      rate: { type: 'string' },
      pipelining: { type: 'string' },
      loader: { type: 'string' },
      'loader-cpus': { type: 'string' },
      'loader-bound': { type: 'string' },
      json: { type: 'boolean' },
    },
    true,
  );
  if (values.help) {
    console.log(loadHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new UserError('load takes exactly one URL.', 'E.g. `npm run bench -- load http://127.0.0.1:8080/json`.');
  const url = parseUrl(positionals[0]!);
  const connections = values.connections === undefined ? 64 : parsePositiveInt(values.connections, '--connections');
  const durationS = values.duration === undefined ? 10 : parseDuration(values.duration, '--duration');
  const pipelining = values.pipelining === undefined ? 1 : parsePositiveInt(values.pipelining, '--pipelining');
  const rate = values.rate === undefined ? undefined : parsePositiveInt(values.rate, '--rate');
  const boundPct = values['loader-bound'] === undefined ? 90 : parsePositiveInt(values['loader-bound'], '--loader-bound');
  const loaderCpus = values['loader-cpus'] !== undefined ? parseCpuList(values['loader-cpus'], '--loader-cpus') : planCpus(Math.max(2, cpuCount())).loaderCpus;
  const bad = loaderCpus.find((c) => c >= cpuCount());
  if (bad !== undefined) throw new UserError(`--loader-cpus: CPU ${bad} does not exist; this machine has CPUs 0-${cpuCount() - 1}.`, `Pick CPUs from 0-${cpuCount() - 1}.`);
  await pinProcess(process.pid, loaderCpus);
  const loader = await createLoader(parseLoaderName(values.loader ?? DEFAULT_LOADER, '--loader'), loaderCpus);
  const interrupt = installInterruptHandler();
  try {
    if (!values.json) console.error(`${loader.name} ${loader.version}${loader.runtime ? ` on ${loader.runtime}` : ''}, CPUs ${loaderCpus.join(',')}: ${rate ? `open loop at ${fmtInt(rate)} req/s` : 'closed loop'}, ${connections} connections${pipelining > 1 ? ` x ${pipelining} pipelined` : ''}, ${durationS} s against ${url}`);
    const r = await loader.run({ url, connections, durationS, pipelining, ...(rate && { rate }) }, interrupt.signal);
    const errorKinds = errorKindsOf(r);
    const failure = noResponse(url, r, errorKinds);
    const loaderBound = r.loaderCpuPct !== null && r.loaderCpuPct >= boundPct;
    if (values.json) {
      console.log(JSON.stringify({ url, loader: { name: loader.name, version: loader.version, runtime: loader.runtime ?? null, cpus: loaderCpus }, connections, pipelining, loaderBound, ...r }));
      return failed(failure);
    }
    const classes = r.statusClasses ? Object.entries(r.statusClasses).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${fmtInt(n)}`).join(', ') : `non-2xx ${fmtInt(r.non2xx)}`;
    const kinds = Object.entries(errorKinds).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, n]) => `${fmtInt(n)} × ${k}`).join(', ');
    const lines = [
      `req/s (2xx)   ${fmtInt(r.rps)}${loaderBound ? '   LOADER-BOUND: the loader was saturated, the server can do at least this' : ''}`,
      ...(r.mode === 'open' ? [`rate          requested ${fmtInt(r.requestedRate ?? 0)}/s, sent ${fmtInt(r.achievedRate ?? 0)}/s`] : []),
      `responses     ${fmtInt(r.requests)} in ${r.durationS.toFixed(2)} s${classes ? ` (${classes})` : ''}`,
      `latency ms    p50 ${fmtMs(r.latencyMs.p50)}  p90 ${fmtMs(r.latencyMs.p90)}  p99 ${fmtMs(r.latencyMs.p99)}  p99.9 ${fmtMs(r.latencyMs.p999)}  max ${fmtMs(r.latencyMs.max)}${r.mode === 'open' ? '  (from the intended send times)' : ''}`,
      `errors        ${fmtInt(r.errors)} errors${kinds ? ` (${kinds})` : ''}, ${fmtInt(r.timeouts)} timeouts, ${fmtInt(r.non2xx)} non-2xx`,
      `loader CPU    ${r.loaderCpuPerCpu ? r.loaderCpuPerCpu.map((p) => `${p.toFixed(0)}%`).join(' / ') + ' per loader CPU' : r.loaderCpuPct === null ? 'n/a' : `${r.loaderCpuPct.toFixed(0)}% of a core`}`,
    ];
    console.log(lines.join('\n'));
    if (loaderBound && !failure) console.error(`The loader used ${r.loaderCpuPct!.toFixed(0)}% of a CPU: give it more CPUs (--loader-cpus; the harness loader runs one worker per CPU) or fewer connections.`);
    return failed(failure);
  } catch (error) {
    if (interrupt.signal.aborted) return 130;
    // wrk gives up at once when it cannot connect.
    if (error instanceof NoResponseError) return failed(error);
    throw error;
  } finally {
    interrupt.dispose();
  }
}

/** Exit code 1 with the failure on stderr (in the CLI's error format), or 0 without one. */
function failed(failure: NoResponseError | null): number {
  if (!failure) return 0;
  process.stderr.write(`error: ${failure.format()}\n`);
  return 1;
}

function parseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError(`"${text}" is not a URL.`, 'Give a full URL, e.g. http://127.0.0.1:8080/json.');
  }
  if (url.protocol !== 'http:') throw new UserError(`${url.protocol} URLs are not supported: the loaders speak plain HTTP/1.1.`, 'Give an http:// URL.');
  return url.href;
}
