// One worker of the harness's HTTP/1.1 load generator: the kit's protocol (kit/worker-main.ts) over
// one HttpLoad (load.ts). Runs under Bun (which runs .ts directly) and under Node (node --import tsx).
//
//   <runtime> harness/load/http/worker.ts '{"host":"127.0.0.1","port":8080,"path":"/json",...}'
//
// start: opens the connections and begins the load, answered when it began; report: answered with
// the WorkerOutput once the load has ended; stop: ends the load now (a pending report gets what
// there is). Nothing is printed during the load.
import dns from 'node:dns/promises';
import net from 'node:net';
import { transport } from '../kit/transport.ts';
import { runWorker } from '../kit/worker-main.ts';
import { HttpLoad } from './load.ts';
import { workerConfigSchema, type HttpCommand, type HttpReply, type WorkerConfig } from './types.ts';

let load: HttpLoad | null = null;
const loaded = (): HttpLoad => {
  if (!load) throw new Error('http worker: not set up');
  return load;
};

await runWorker<WorkerConfig, HttpCommand, HttpReply>({
  name: 'http worker',
  configSchema: workerConfigSchema,
  async setup(config) {
    // A name is resolved once (IPv4 first, as servers here listen on 127.0.0.1), not at every reconnect.
    let address = config.host;
    if (net.isIP(address) === 0) {
      const found = await dns.lookup(address, { all: true });
      address = (found.find((a) => a.family === 4) ?? found[0] ?? { address }).address;
    }
    load = new HttpLoad(config, transport(config.transport), address);
    return {};
  },
  async handle(cmd) {
    switch (cmd.cmd) {
      case 'start':
        await loaded().start();
        return { type: 'started' };
      case 'report':
        return { type: 'report', output: await loaded().output };
      case 'stop':
        loaded().stop();
        return { type: 'stopped' };
    }
  },
  exit: () => load?.stop(),
});
