// `bench list`: targets (with the endpoints each serves), scenarios and profiles.
import { PROFILES, profileDescription } from '../../config.ts';
import { optionDeclarations, optionPhrases } from '../../run/options.ts';
import { runtimeNeedsInWords } from '../../run/plan.ts';
import { loadAllTargets } from '../../targets.ts';
import { describeVersions } from '../../versions/select.ts';
import { scenarios } from '../../../scenarios/index.ts';
import { parseFlags } from '../args.ts';

export const listHelp = `Usage: npm run bench -- list

Lists the targets (the endpoints each serves, the versions each offers), the scenarios (and what they require), and the profiles.`;

export async function listCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('list', argv, {});
  if (values.help) {
    console.log(listHelp);
    return 0;
  }
  console.log('Targets:');
  for (const t of loadAllTargets()) {
    const d = t.decl;
    console.log(`  ${d.name.padEnd(12)} ${d.title}${d.baseline ? ' [baseline]' : ''}`);
    console.log(`  ${''.padEnd(12)} ${d.language}, ${d.framework} on ${d.server}; endpoints: ${d.endpoints.join(' ')}`);
    if (d.database) console.log(`  ${''.padEnd(12)} database: ${d.database.poolPerWorker === null ? 'no bound on connections per worker' : `${d.database.poolPerWorker} connections per worker`}. ${d.database.connections}`);
    const versions = describeVersions(t);
    if (versions) {
      console.log(`  ${''.padEnd(12)} versions (${d.name}@<version>): ${versions}; or a git revision (${d.name}@main)`);
      for (const [key, offer] of Object.entries(d.versions!.offers)) console.log(`  ${''.padEnd(14)} ${d.name}@${key}: ${offer.about}${offer.python ? ` (Python ${offer.python})` : ''}`);
    }
  }
  console.log('\nScenarios:');
  for (const s of scenarios) {
    const services = s.services?.length ? `; services: ${s.services.map((x) => x.name).join(', ')}` : '';
    const needs = s.runtimeNeeds?.length ? `; needs a runtime that ${runtimeNeedsInWords(s.runtimeNeeds)}` : '';
    const flags = s.options?.flags?.length ? `; options: ${s.options.flags.map((f) => `--${f.name}`).join(' ')}` : '';
    console.log(`  ${s.name.padEnd(12)} ${s.description} Requires: ${s.requires.join(' ')}${services}${needs}${flags}; schedule: ${s.schedule}.`);
  }
  console.log('\nProfiles:');
  const options = optionDeclarations(scenarios);
  for (const name of Object.keys(PROFILES) as (keyof typeof PROFILES)[]) console.log(`  ${name.padEnd(12)} ${profileDescription(name, optionPhrases(options, name))}`);
  return 0;
}
