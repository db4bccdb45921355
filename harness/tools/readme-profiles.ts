// The profiles as README.md shows them, written from the profiles themselves (levels, trials, rounds,
// budget, confidence) and the plan's upper bound with every target and scenario, so that the README
// never types a figure that the code no longer has. A test checks that README's block is this one.
//
//   npm run readme-profiles
import { PROFILES } from '../config.ts';
import { fmtDuration } from '../report/format.ts';
import { plannedSeconds } from '../run/execute.ts';
import { loadAllTargets } from '../targets.ts';
import type { ProfileName, RuntimeName } from '../types.ts';
import { scenarios } from '../../scenarios/index.ts';
import { replaceReadmeBlock } from './readme-block.ts';

export const PROFILES_START = '<!-- profiles:start -->';
export const PROFILES_END = '<!-- profiles:end -->';

/** The block between the markers, markers included. */
export function profilesBlock(): string {
  const targets = loadAllTargets();
  const bound = (profile: ProfileName, runtime: RuntimeName) => fmtDuration(plannedSeconds(targets, scenarios, PROFILES[profile], profile, runtime));
  const lines = (Object.keys(PROFILES) as ProfileName[]).map(
    (name) =>
      `- \`${name}\`${name === 'quick' ? ' (the default)' : ''}: ${PROFILES[name].description}. The plan's upper bound with all ${targets.length} targets and every scenario: ${bound(name, 'local')} of load on the local runtime, ${bound(name, 'docker')} on the docker runtime (image sizes included), preparation not included.`,
  );
  return [PROFILES_START, ...lines, PROFILES_END].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  replaceReadmeBlock(PROFILES_START, PROFILES_END, profilesBlock());
  console.error('README.md updated.');
}
