// Options that scenarios own: a fake scenario declares one, and the core (run/options.ts,
// config.ts, `run`) takes its defaults per profile, its field in bench.config.ts and its flags,
// validates them naming the field or the flag and what it accepts, and hands the scenario its own,
// without naming it anywhere.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadUserConfig, profileDescription } from '../../harness/config.ts';
import { UserError } from '../../harness/errors.ts';
import { defaultOptions, optionDeclarations, optionFlags, optionPhrases, optionsHelp, optionsOf, resolveOptions } from '../../harness/run/options.ts';
import { runHelp } from '../../harness/cli/commands/run.ts';
import type { Scenario, ScenarioOptions } from '../../harness/types.ts';

interface Fake {
  mode: 'slow' | 'fast';
  count: number;
}

const fakeOptions: ScenarioOptions<Fake> = {
  key: 'fake',
  schema: z.object({ mode: z.enum(['slow', 'fast']), count: z.number().int().positive() }),
  defaults: { quick: { mode: 'fast', count: 2 }, full: { mode: 'slow', count: 20 } },
  flags: [
    { name: 'fake-count', value: 'N', help: 'fake: how many', apply: (o, v) => ({ ...o, count: Number(v) }) },
    { name: 'fake-mode', value: 'MODE', help: 'fake: how fast, slow or fast', apply: (o, v) => ({ ...o, mode: v as Fake['mode'] }) },
  ],
  check(o) {
    if (o.mode === 'fast' && o.count > 100) throw new UserError(`--fake-count (${o.count}) is too many for --fake-mode fast.`, 'At most 100.');
  },
  describe: (o) => `fake at ${o.count} (${o.mode})`,
};

const scenario = (name: string, options?: ScenarioOptions<unknown>): Scenario => ({ name, options }) as unknown as Scenario;
const decls = optionDeclarations([scenario('a', fakeOptions as ScenarioOptions<unknown>), scenario('b', fakeOptions as ScenarioOptions<unknown>), scenario('c')]);

describe('options a scenario owns', () => {
  it('are collected once per key, however many scenarios share the declaration', () => {
    expect(decls).toEqual([fakeOptions]);
    const other = { ...fakeOptions };
    expect(() => optionDeclarations([scenario('a', fakeOptions as ScenarioOptions<unknown>), scenario('b', other as ScenarioOptions<unknown>)])).toThrow(/key "fake", which another scenario declares too/);
  });

  it('take the profile\'s defaults', () => {
    expect(resolveOptions(decls, 'quick')).toEqual({ fake: { mode: 'fast', count: 2 } });
    expect(resolveOptions(decls, 'full')).toEqual({ fake: { mode: 'slow', count: 20 } });
    expect(defaultOptions(decls, 'full')).toEqual({ fake: { mode: 'slow', count: 20 } });
  });

  it('take the field of bench.config.ts over the defaults, and the flags over both', () => {
    expect(resolveOptions(decls, 'full', { config: { fake: { count: 7 } } })).toEqual({ fake: { mode: 'slow', count: 7 } });
    expect(resolveOptions(decls, 'full', { config: { fake: { count: 7 } }, flags: { 'fake-count': '9', 'fake-mode': 'fast' } })).toEqual({ fake: { mode: 'fast', count: 9 } });
  });

  it('refuse a bad value, naming the flag or the field and what it accepts', () => {
    const error = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(error(() => resolveOptions(decls, 'quick', { flags: { 'fake-mode': 'medium' } }))).toMatch(/^Invalid option: --fake-mode "medium": fake\.mode: .*\(allowed: slow, fast\)/);
    expect(error(() => resolveOptions(decls, 'quick', { flags: { 'fake-count': '0' } }))).toMatch(/--fake-count "0": fake\.count: /);
    expect(error(() => resolveOptions(decls, 'quick', { config: { fake: { mode: 'medium' } }, configFile: 'my.config.ts' }))).toMatch(/^Invalid option: my\.config\.ts fake\.mode: .*\(allowed: slow, fast\)/);
    // And as a whole, once flags and the config are applied.
    expect(error(() => resolveOptions(decls, 'quick', { flags: { 'fake-count': '500' } }))).toMatch(/--fake-count \(500\) is too many for --fake-mode fast/);
  });

  it('hand each scenario its own, its defaults where the run has none', () => {
    expect(optionsOf(scenario('a', fakeOptions as ScenarioOptions<unknown>), { fake: { mode: 'slow', count: 3 } }, 'quick')).toEqual({ mode: 'slow', count: 3 });
    expect(optionsOf(scenario('a', fakeOptions as ScenarioOptions<unknown>), {}, 'full')).toEqual({ mode: 'slow', count: 20 });
    expect(optionsOf(scenario('c'), { fake: 1 }, 'quick')).toBeUndefined();
  });

  it('add their flags to `run` and its help, refusing one the run has already', () => {
    expect(optionFlags(decls, ['targets'])).toEqual({ 'fake-count': { type: 'string' }, 'fake-mode': { type: 'string' } });
    expect(() => optionFlags(decls, ['fake-mode'])).toThrow(/--fake-mode, a flag of the run itself/);
    expect(optionsHelp(decls)).toEqual(['  --fake-count N        fake: how many', '  --fake-mode MODE      fake: how fast, slow or fast']);
    // The real scenarios' flags are in `run --help`.
    expect(runHelp).toMatch(/\n {2}--ws-step N +ws-capacity: WebSocket clients added per step/);
    expect(runHelp).toMatch(/\n {2}--memory-rate R +memory: the request rate/);
  });

  it("describe themselves in the profile's line", () => {
    expect(optionPhrases(decls, 'full')).toEqual(['fake at 20 (slow)']);
    expect(profileDescription('full', optionPhrases(decls, 'full'))).toMatch(/^close to TechEmpower, .*; fake at 20 \(slow\)$/);
  });

  it('are fields of bench.config.ts, checked when the options are resolved', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-options-'));
    const file = path.join(dir, 'bench.config.ts');
    fs.writeFileSync(file, "export default { profile: 'full', fake: { count: 4 } };\n");
    const config = await loadUserConfig(file, ['fake']);
    expect(config).toEqual({ profile: 'full', options: { fake: { count: 4 } } });
    expect(resolveOptions(decls, config.profile!, { config: config.options, configFile: file })).toEqual({ fake: { mode: 'slow', count: 4 } });
    // A field no scenario declares is refused.
    await expect(loadUserConfig(file, [])).rejects.toThrow(/Unrecognized key.*fake/);
    // The fix lists the options' keys beside the run's fields (a new file: imports are cached).
    const other = path.join(dir, 'other.config.ts');
    fs.writeFileSync(other, 'export default { fake: 1, nope: 2 };\n');
    await expect(loadUserConfig(other, ['fake'])).rejects.toMatchObject({ message: expect.stringMatching(/Unrecognized key.*nope/), fix: expect.stringMatching(/^Allowed fields: .*readyTimeoutS, out, hosts, insecureEngines, sshKey, sshKnownHosts, fake\.$/) });
  });
});
