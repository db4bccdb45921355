// Scenario `updates`: TechEmpower's updates test, GET /updates?queries=N: N rows read one by one, changed, written back.
import { httpScenario } from '../harness/http/scenario.ts';
import { verifyUpdatesEndpoint } from '../harness/verify/db-contract.ts';
import { DATABASE_SERVICES, queryLevels, withDatabase } from './database.ts';

export const updatesScenario = httpScenario({
  name: 'updates',
  description: 'GET /updates?queries=N: N random World rows per request, each read by its own query, given new random numbers and written back (batched writes allowed; TechEmpower test type 5).',
  title: 'Updates throughput',
  endpoint: '/updates?queries={queries}',
  requires: ['/updates'],
  services: DATABASE_SERVICES,
  verify: withDatabase(verifyUpdatesEndpoint),
  levels: queryLevels,
});
