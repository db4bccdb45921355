// Scenario `queries`: TechEmpower's multiple-queries test, GET /queries?queries=N, each row read by its own query.
import { httpScenario } from '../harness/http/scenario.ts';
import { verifyQueriesEndpoint } from '../harness/verify/db-contract.ts';
import { DATABASE_SERVICES, queryLevels, withDatabase } from './database.ts';

export const queriesScenario = httpScenario({
  name: 'queries',
  description: 'GET /queries?queries=N: N random World rows per request, each read by its own query (TechEmpower test type 3).',
  title: 'Multiple-queries throughput',
  endpoint: '/queries?queries={queries}',
  requires: ['/queries'],
  services: DATABASE_SERVICES,
  verify: withDatabase(verifyQueriesEndpoint),
  levels: queryLevels,
});
