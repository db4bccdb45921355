// The core (harness/) goes through the scenarios' result kinds and options and never names a
// scenario or a scenario's option: adding a scenario, with options of its own, is one module under
// scenarios/. This catches a special case creeping back in.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../harness/targets.ts';
import { optionDeclarations } from '../../harness/run/options.ts';
import { scenarios } from '../../scenarios/index.ts';
import { LOADER_NAMES } from '../../harness/load/index.ts';
import { RUNTIME_NAMES } from '../../harness/runtime/registry.ts';

const files = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));

const offending = (paths: string[], pattern: RegExp): string[] =>
  paths.flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').flatMap((line, i) => (pattern.test(line) ? [`${path.relative(PROJECT_ROOT, f)}:${i + 1}: ${line.trim()}`] : [])));

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every way a file could name an option: its key as a property or a string, its flags, and its fields joined to the key (wsStep, ws.step). */
function optionPattern(decls: ReturnType<typeof optionDeclarations>): RegExp {
  const words = decls.flatMap((d) => {
    const fields = 'shape' in d.schema && typeof d.schema.shape === 'object' && d.schema.shape ? Object.keys(d.schema.shape) : [];
    return [
      `\\.${escape(d.key)}\\b`,
      `['"\`]${escape(d.key)}['"\`]`,
      ...(d.key.length > 3 ? [`\\b${escape(d.key)}\\b`] : []),
      ...(d.flags ?? []).map((f) => `\\b${escape(f.name)}\\b`),
      ...fields.map((f) => `\\b${escape(d.key)}(${escape(f[0]!.toUpperCase() + f.slice(1))}|\\.${escape(f)})\\b`),
    ];
  });
  return new RegExp(words.join('|'));
}

describe('the core names no scenario', () => {
  it('no file under harness/ compares anything with a scenario name', () => {
    const names = scenarios.map((s) => s.name).join('|');
    const compare = new RegExp(`(===|!==|==|!=)\\s*['"\`](${names})['"\`]|['"\`](${names})['"\`]\\s*(===|!==|==|!=)|case\\s+['"\`](${names})['"\`]`);
    expect(offending(files(path.join(PROJECT_ROOT, 'harness')), compare)).toEqual([]);
  });

  it("names none of the scenarios' options: the schema, the configuration, the run command and the executor take them from the scenarios", () => {
    const decls = optionDeclarations(scenarios);
    // The WebSocket scenarios' `ws` and memory's `memoryRate` at least: a test that checks nothing passes too.
    expect(decls.map((d) => d.key)).toEqual(expect.arrayContaining(['ws', 'memoryRate']));
    const core = ['harness/schema.ts', 'harness/config.ts', 'harness/cli/commands/run.ts', 'harness/cli/commands/list.ts', 'harness/tools/readme-profiles.ts', ...files(path.join(PROJECT_ROOT, 'harness/run')).map((f) => path.relative(PROJECT_ROOT, f))];
    expect(offending(core.map((f) => path.join(PROJECT_ROOT, f)), optionPattern(decls))).toEqual([]);
  });

  it('the check sees an option named in the core', () => {
    const pattern = optionPattern(optionDeclarations(scenarios));
    for (const line of ["const rate = load.memoryRate;", "'ws-step': { type: 'string' },", 'wsCeiling: z.number()', "if (options.ws.step > 1) {", "config['ws']"]) expect(line).toMatch(pattern);
    for (const line of ["ws: createWsLoader({ cpus })", "progress.step('x')", "const wsLoader = loaders.http;"]) expect(line).not.toMatch(pattern);
  });
});

describe('the core and the scenarios name no runtime and no loader', () => {
  const compareWith = (names: readonly string[]) => {
    const n = names.map(escape).join('|');
    return new RegExp(`(===|!==|==|!=)\\s*['"\`](${n})['"\`]|['"\`](${n})['"\`]\\s*(===|!==|==|!=)|case\\s+['"\`](${n})['"\`]`);
  };
  const core = () => [
    ...['cli', 'run', 'results', 'claims', 'report', 'stats'].flatMap((d) => files(path.join(PROJECT_ROOT, 'harness', d))),
    ...['harness/config.ts', 'harness/schema.ts'].map((f) => path.join(PROJECT_ROOT, f)),
    ...files(path.join(PROJECT_ROOT, 'scenarios')),
  ];

  it('compares nothing with a runtime or a loader name: it asks `can`', () => {
    expect(RUNTIME_NAMES).toEqual(expect.arrayContaining(['local', 'docker']));
    expect(LOADER_NAMES).toEqual(expect.arrayContaining(['harness', 'wrk']));
    expect(offending(core(), compareWith([...RUNTIME_NAMES, ...LOADER_NAMES]))).toEqual([]);
  });

  it('the check sees a name compared', () => {
    const pattern = compareWith([...RUNTIME_NAMES, ...LOADER_NAMES]);
    for (const line of ["ctx.runtime.name === 'docker'", "if (loader.name === 'harness')", "case 'local':"]) expect(line).toMatch(pattern);
    for (const line of ["runtime.can.unit === 'container'", "ctx.loaders.http.can.openLoop"]) expect(line).not.toMatch(pattern);
  });
});
