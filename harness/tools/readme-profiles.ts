// The profiles as README.md shows them, written from the profiles themselves (levels, trials, rounds,
// budget, confidence, the scenarios' options) and the plan's upper bound with every target and
// scenario on every registered runtime, so that the README never types a figure that the code no
// longer has. A test checks that README's block is this one.
//
//   npm run readme-profiles
import { PROFILES, profileDescription } from '../config.ts';
import { fmtDuration } from '../report/format.ts';
import { defaultOptions, optionDeclarations, optionPhrases } from '../run/options.ts';
import { plannedSeconds } from '../run/plan.ts';
import { RUNTIME_NAMES, runtimeModule } from '../runtime/registry.ts';
import { loadAllTargets } from '../targets.ts';
import type { ProfileName } from '../types.ts';
import { scenarios } from '../../scenarios/index.ts';
import { replaceReadmeBlock } from './readme-block.ts';

export const PROFILES_START = '<!-- profiles:start -->';
export const PROFILES_END = '<!-- profiles:end -->';

/** The block between the markers, markers included. */
export function profilesBlock(): string {
  const targets = loadAllTargets();
  const options = optionDeclarations(scenarios);
  const bounds = (profile: ProfileName) =>
    RUNTIME_NAMES.map((name, i) => {
      const runtime = runtimeModule(name);
      const seconds = plannedSeconds(targets, scenarios, PROFILES[profile], profile, runtime, defaultOptions(options, profile));
      return `${fmtDuration(seconds)}${i === 0 ? ' of load' : ''} on the ${name} runtime${runtime.can.images ? ' (image sizes and deploys included)' : ''}`;
    }).join(', ');
  const lines = (Object.keys(PROFILES) as ProfileName[]).map(
    (name) =>
      `- \`${name}\`${name === 'quick' ? ' (the default)' : ''}: ${profileDescription(name, optionPhrases(options, name))}. The plan's upper bound with all ${targets.length} targets and every scenario: ${bounds(name)}, preparation not included.`,
  );
  return [PROFILES_START, ...lines, PROFILES_END].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  replaceReadmeBlock(PROFILES_START, PROFILES_END, profilesBlock());
  console.error('README.md updated.');
}
