// The parsing of /proc/<pid>/limits and of the container read's output (harness/runtime/open-files.ts):
// the smallest soft limit over a target's processes, the exec's own shell left out.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTAINER_LIMITS_SH, CONTAINER_READS, parseLimit, parseNofile, smallestSoftNofile, splitLimitsBlocks } from '../../harness/runtime/open-files.ts';

/** A /proc/<pid>/limits text as the kernel prints it (columns padded, trailing spaces). */
const limits = (soft: string, hard: string) =>
  [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max cpu time              unlimited            unlimited            seconds   ',
    'Max processes             32768                32768                processes ',
    `Max open files            ${soft.padEnd(21)}${hard.padEnd(21)}files     `,
    'Max nice priority         0                    0                    ',
    '',
  ].join('\n');

describe('open-files limits', () => {
  it('reads soft and hard from a limits text, and other limits by name', () => {
    expect(parseNofile(limits('1024', '524288'))).toEqual({ soft: 1024, hard: 524288 });
    expect(parseNofile(limits('unlimited', 'unlimited'))).toEqual({ soft: Number.MAX_SAFE_INTEGER, hard: Number.MAX_SAFE_INTEGER });
    expect(parseLimit(limits('1', '1'), 'Max processes')).toEqual({ soft: 32768, hard: 32768 });
    // A limit without units (the line ends after the hard column).
    expect(parseLimit(limits('1', '1'), 'Max nice priority')).toEqual({ soft: 0, hard: 0 });
    expect(parseNofile('')).toBeNull();
    expect(parseNofile('Max open files            lots                 1                    files')).toBeNull();
  });

  it('agrees with this process\'s own limits', () => {
    const own = parseNofile(fs.readFileSync('/proc/self/limits', 'utf8'))!;
    const [soft, hard] = ['-Sn', '-Hn'].map((flag) => execFileSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).trim());
    // A child shell inherits them (Node raised its soft limit to the hard one at start).
    expect(own).toEqual({ soft: Number(soft), hard: Number(hard) });
  });

  it('takes the smallest soft limit over the processes, skipping texts without one', () => {
    expect(smallestSoftNofile([limits('20000', '20000'), limits('1000', '20000'), 'gone', limits('4096', '4096')])).toEqual({ limit: 1000, processes: 3 });
    expect(smallestSoftNofile(['', 'no limits here'])).toBeNull();
    expect(smallestSoftNofile([])).toBeNull();
  });

  it('splits the container read into processes by their headers', () => {
    const out = `==> /proc/1/limits\n${limits('20000', '20000')}==> /proc/7/limits\n${limits('1000', '1000')}==> /proc/9/limits\n`;
    const blocks = splitLimitsBlocks(out);
    expect([...blocks.keys()]).toEqual([1, 7, 9]);
    expect(parseNofile(blocks.get(7)!)).toEqual({ soft: 1000, hard: 1000 });
    // Process 9 exited between the listing and the read: it counts as no process.
    const sh = CONTAINER_READS[0]!;
    expect(smallestSoftNofile(sh.texts(out))).toEqual({ limit: 1000, processes: 2 });
    expect(sh.source(2)).toBe('read inside the container from /proc/*/limits of its 2 processes');
    expect(CONTAINER_READS[1]!.texts(limits('64', '64'))).toHaveLength(1);
  });

  it('the shell loop prints every process but its own shell, with builtins only', () => {
    // Run here on the host's /proc: the loop's own pid must be missing, a long-lived process (this one) present.
    const out = execFileSync('/bin/sh', ['-c', `echo "self $$"; ${CONTAINER_LIMITS_SH}`], { encoding: 'utf8', env: { PATH: '' } });
    const self = Number(/^self (\d+)$/m.exec(out)![1]);
    const blocks = splitLimitsBlocks(out);
    expect(blocks.has(self)).toBe(false);
    expect(blocks.has(process.pid)).toBe(true);
    expect(parseNofile(blocks.get(process.pid)!)).toEqual(parseNofile(fs.readFileSync('/proc/self/limits', 'utf8')));
  });
});
