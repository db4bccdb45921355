// A load that got no response at all (nothing listens, a firewall, a server that resets or never
// answers) is a failure, not a figure of 0 req/s: `bench load` says why, as curl or wrk would, from
// the errors by kind that the loaders report.
import { fmtInt } from '../report/format.ts';
import { UserError } from '../errors.ts';
import type { HttpLoadResult } from '../types.ts';

/** The load got no response; `bench load` exits 1 on it (a UserError elsewhere). */
export class NoResponseError extends UserError {}

/** What an error kind means, in words, where it is a common one (socket error codes, the loaders' own kinds). */
export function describeErrorKind(kind: string): string {
  const known: Record<string, string> = {
    ECONNREFUSED: 'the connection was refused',
    'Connection refused': 'the connection was refused',
    ECONNRESET: 'the connection was reset by the server',
    'Connection reset by peer': 'the connection was reset by the server',
    ETIMEDOUT: 'the connection timed out',
    'connect timeout': 'the connection timed out',
    'Connection timed out': 'the connection timed out',
    EHOSTUNREACH: 'the host is unreachable',
    ENETUNREACH: 'the network is unreachable',
    EADDRNOTAVAIL: 'the address is not available',
    EPIPE: 'the server closed the connection while requests were written',
    'connection closed with requests in flight': 'the server closed the connection without answering',
    'connection closed before it was established': 'the server closed the connection at once',
  };
  if (known[kind]) return known[kind];
  if (kind.startsWith('malformed response')) return `the server did not answer in HTTP/1.1: ${kind}`;
  return kind;
}

/** The rule of `bench load`: zero responses is a failure, named by the most frequent error (or the timeouts); null when any response came back. */
export function noResponse(url: string, result: HttpLoadResult, errorKinds: Record<string, number>): NoResponseError | null {
  if (result.requests > 0) return null;
  const fix = `Check that a server answers at ${url} (e.g. \`curl -i ${url}\`).`;
  const kinds = Object.entries(errorKinds).sort((a, b) => b[1] - a[1]);
  const counts = `${fmtInt(result.errors)} error${result.errors === 1 ? '' : 's'}, ${fmtInt(result.timeouts)} timeout${result.timeouts === 1 ? '' : 's'}`;
  if (kinds.length && kinds[0]![1] >= result.timeouts) {
    const [kind, n] = kinds[0]!;
    const others = kinds.length > 1 ? `; also ${kinds.slice(1, 4).map(([k, c]) => `${fmtInt(c)} × ${k}`).join(', ')}` : '';
    return new NoResponseError(`No response from ${url}: ${describeErrorKind(kind)} (${kind}: ${fmtInt(n)} of ${counts}${others}).`, fix);
  }
  if (result.timeouts > 0) return new NoResponseError(`No response from ${url}: every request timed out (${counts}).`, fix);
  if (result.errors > 0) return new NoResponseError(`No response from ${url}: ${counts}.`, fix);
  return new NoResponseError(`No response from ${url}: no request was answered within the load's ${result.durationS.toFixed(1)} s.`, fix);
}
