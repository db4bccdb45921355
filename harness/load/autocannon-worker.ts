// autocannon as a worker on the loader kit (kit/worker-main.ts), run by Node through tsx and pinned
// by the kit's pool: `start` begins one autocannon trial, `report` answers with its counts once it
// has ended, `stop` ends it now.
import autocannon from 'autocannon';
import { Recorder } from './kit/recorder.ts';
import { runWorker } from './kit/worker-main.ts';
import { autocannonConfigSchema, type AutocannonCommand, type AutocannonConfig, type AutocannonReply } from './autocannon-result.ts';

let config: AutocannonConfig | null = null;
let instance: autocannon.Instance | null = null;
let result: Promise<autocannon.Result> | null = null;
// autocannon's own latency histogram keeps whole milliseconds; a fast server answers in well under
// one, so latencies of 2xx responses are also recorded here in microseconds.
const latency = new Recorder();
// autocannon emits an error once per pipelined request; timeouts are counted apart.
const errorEvents = new Map<string, number>();

function start(c: AutocannonConfig): void {
  result = new Promise((resolve, reject) => {
    instance = autocannon({ url: c.url, connections: c.connections, duration: c.durationS, pipelining: c.pipelining, timeout: c.timeoutS }, (error, res) => (error ? reject(error) : resolve(res)));
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
      if (statusCode >= 200 && statusCode < 300) latency.record(responseTimeMs * 1000);
    });
    instance.on('reqError', (error: NodeJS.ErrnoException) => {
      if (error.message === 'request timed out') return;
      const kind = error.code ?? error.message;
      errorEvents.set(kind, (errorEvents.get(kind) ?? 0) + 1);
    });
  });
}

await runWorker<AutocannonConfig, AutocannonCommand, AutocannonReply>({
  name: 'autocannon worker',
  configSchema: autocannonConfigSchema,
  setup(c) {
    config = c;
    return {};
  },
  async handle(cmd) {
    switch (cmd.cmd) {
      case 'start':
        if (!result) start(config!);
        return { type: 'started' };
      case 'report': {
        if (!result) throw new Error('autocannon worker: report before start');
        const r = await result;
        const perRequest = config!.pipelining;
        const errorKinds = Object.fromEntries([...errorEvents].map(([kind, n]) => [kind, Math.max(1, Math.round(n / perRequest))]));
        const counts = { duration: r.duration, requests: { total: r.requests.total }, '2xx': r['2xx'], errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx };
        return { type: 'report', counts, histogramUs: latency.take(), errorKinds };
      }
      case 'stop':
        instance?.stop();
        return { type: 'stopped' };
    }
  },
  exit: () => instance?.stop(),
});
