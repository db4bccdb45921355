// Scenario `fortunes`: TechEmpower's fortunes test, GET /fortunes (a query, a row added in memory, a sort, an HTML template).
import { httpScenario } from '../harness/http/scenario.ts';
import { verifyFortunesEndpoint } from '../harness/verify/db-contract.ts';
import { connectionLevels, DATABASE_SERVICES, withDatabase } from './database.ts';

export const fortunesScenario = httpScenario({
  name: 'fortunes',
  description: 'GET /fortunes: all Fortune rows plus one added at request time, sorted, rendered by a template engine, HTML-escaped (TechEmpower test type 4).',
  title: 'Fortunes throughput',
  endpoint: '/fortunes',
  requires: ['/fortunes'],
  services: DATABASE_SERVICES,
  verify: withDatabase(verifyFortunesEndpoint),
  levels: connectionLevels,
});
