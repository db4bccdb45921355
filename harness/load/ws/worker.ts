// One worker of the harness's WebSocket load generator, on the loader kit (../kit/worker-main.ts):
// many clients on raw TCP sockets (load-client.ts, client-set.ts), one process pinned to one CPU,
// run by Bun or by Node. It is long-lived and driven by commands (protocol.ts), answered one at a
// time in the order sent, so that a capacity ramp can open clients step by step and hold them while
// the scenario reads the target's memory: `open` (client-set.ts), `sample` and `echo`
// (echo-schedule.ts), `listen`, `send-rounds` and `collect` (broadcast-rounds.ts), and `close`,
// the close handshake with every client, after which the worker exits. It also exits on SIGTERM
// and when stdin ends (the harness died), so it never outlives the harness.
//
//   <runtime> harness/load/ws/worker.ts '<WsWorkerConfig as JSON>'
import fs from 'node:fs/promises';
import { runWorker, type WorkerModule } from '../kit/worker-main.ts';
import { BroadcastRounds } from './broadcast-rounds.ts';
import { ClientSet, MessageCounts } from './client-set.ts';
import { EchoSchedule } from './echo-schedule.ts';
import { wsWorkerConfigSchema, type WsCommand, type WsReady, type WsReply, type WsWorkerConfig } from './protocol.ts';

/** This process's open-files limit (soft), from /proc/self/limits; 0 when unknown. */
async function openFilesLimit(): Promise<number> {
  const text = await fs.readFile('/proc/self/limits', 'utf8').catch(() => '');
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  return m ? (m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1])) : 0;
}

/** The worker's state: its clients and what its commands keep between them. */
interface WsWorkerState {
  clients: ClientSet;
  echo: EchoSchedule;
  broadcast: BroadcastRounds;
}

/** Exits once what is written on stdout is flushed (writes complete in order). */
const exitAfterReplies = () => process.stdout.write('', () => process.exit(0));

function wsWorker(): WorkerModule<WsWorkerConfig, WsCommand, WsReply> {
  let state: WsWorkerState | null = null;
  return {
    name: 'ws worker',
    configSchema: wsWorkerConfigSchema,
    async setup(config) {
      const limit = await openFilesLimit();
      const counts = new MessageCounts();
      const clients = new ClientSet(config, counts, limit);
      state = { clients, echo: new EchoSchedule(clients, counts, config.messageTimeoutMs), broadcast: new BroadcastRounds(clients, counts, config.messageTimeoutMs) };
      return { openFilesLimit: limit } satisfies WsReady;
    },
    // One command at a time, in order: each works on the clients the one before left.
    serial: () => true,
    async handle(cmd): Promise<WsReply> {
      const s = state!;
      switch (cmd.cmd) {
        case 'open':
          return s.clients.open(cmd.path, cmd.count, cmd.firstId);
        case 'sample':
          return s.echo.sample(cmd);
        case 'echo':
          return s.echo.echo(cmd);
        case 'listen':
          return s.broadcast.listen(cmd);
        case 'send-rounds':
          return s.broadcast.sendRounds(cmd);
        case 'collect':
          return s.broadcast.collect(cmd);
        case 'close':
          await s.clients.closeAll();
          // The kit writes the reply when this returns; the worker exits after it.
          setImmediate(exitAfterReplies);
          return { type: 'closed' };
        default:
          throw new Error(`unknown command ${JSON.stringify(cmd)}`);
      }
    },
  };
}

await runWorker(wsWorker());
