// The harness's own WebSocket load generator: long-lived worker processes (worker.ts) on the loader
// CPUs, pinned there with taskset, run by Bun or by Node (through tsx), with their open-files limit
// raised by prlimit, driven by commands (protocol.ts) so that a capacity ramp holds its clients
// between steps while the scenario reads the target's memory. The clients speak plain WebSocket
// messages or Socket.IO (WsProtocol; socketio.ts).
//
// The parent's side: workers.ts (starting the workers, merging their replies), limits.ts (open
// files, source addresses and ports, memory), capacity.ts (the ramp), echo-run.ts and
// broadcast-run.ts. The workers' side: worker.ts, client-set.ts and load-client.ts (the clients),
// echo-schedule.ts and broadcast-rounds.ts (what the commands send and count).
import { UserError } from '../../errors.ts';
import { runBroadcast } from './broadcast-run.ts';
import { runCapacity } from './capacity.ts';
import { runEcho } from './echo-run.ts';
import type { WsLoader, WsLoaderOptions } from './types.ts';

export type * from './types.ts';
export { DEFAULTS, WS_WORKER_PATH } from './workers.ts';

export function createWsLoader(options: WsLoaderOptions): WsLoader {
  if (options.cpus.length === 0) throw new UserError('The WebSocket loader needs at least one loader CPU.');
  if (options.runtime.command.length === 0) throw new UserError('The WebSocket loader needs a command that runs a .ts program.');
  return {
    name: 'harness-ws',
    version: '1',
    runtime: `${options.runtime.name} ${options.runtime.version}`,
    can: { socketio: true },
    capacity: (request, o) => runCapacity(options, request, o),
    echo: (request, signal) => runEcho(options, request, signal),
    broadcast: (request, signal) => runBroadcast(options, request, signal),
  };
}
