// The one command protocol between the loader's parent (pool.ts) and its workers (worker-main.ts),
// for every loader: the worker's configuration as JSON in argv[2] (validated with the loader's zod
// schema); commands on stdin and replies on stdout, one JSON object per line, each carrying the id
// of its command so that a `stop` can be answered while a `report` waits. The worker says `ready`
// (id 0) once it is set up; a command that fails is answered `error`. Nothing else is printed on
// stdout. Every loader speaks `start` (begin the load, answered when it has begun), `stop` (end it
// now) and `report` (answered with the results once the load has ended), plus its own commands.
// Every reply carries the worker's CPU time (`cpu`), which the pool takes off before the loader sees it.
// Types only, so that importing them runs nothing.

/** A command as sent: the loader's own command with the id its reply will carry. */
export type Envelope<C> = C & { id: number };

/** The replies every worker may send besides its loader's own. */
export type KitReply = { type: 'ready'; [info: string]: unknown } | { type: 'error'; message: string };

/** The worker's CPU time when it wrote a reply: user + system seconds of its process, and when on its own performance.now() clock. */
export interface ReplyCpu {
  s: number;
  atMs: number;
}

/** Id of the unsolicited `ready` reply. */
export const READY_ID = 0;
