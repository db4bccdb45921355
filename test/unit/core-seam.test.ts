// The core (harness/) goes through the scenarios' result kinds and never names a scenario: adding a
// scenario is one module under scenarios/. This catches a special case creeping back in.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../harness/targets.ts';
import { scenarios } from '../../scenarios/index.ts';

const files = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));

describe('the core names no scenario', () => {
  it('no file under harness/ compares anything with a scenario name', () => {
    const names = scenarios.map((s) => s.name).join('|');
    const compare = new RegExp(`(===|!==|==|!=)\\s*['"\`](${names})['"\`]|['"\`](${names})['"\`]\\s*(===|!==|==|!=)|case\\s+['"\`](${names})['"\`]`);
    const offenders = files(path.join(PROJECT_ROOT, 'harness')).flatMap((f) =>
      fs.readFileSync(f, 'utf8').split('\n').flatMap((line, i) => (compare.test(line) ? [`${path.relative(PROJECT_ROOT, f)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(offenders).toEqual([]);
  });
});
