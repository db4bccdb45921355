// Scenario `db`: TechEmpower's single-query test, GET /db (one random World row per request).
import { httpScenario } from '../harness/http/scenario.ts';
import { verifyDbEndpoint } from '../harness/verify/db-contract.ts';
import { connectionLevels, DATABASE_SERVICES, withDatabase } from './database.ts';

export const dbScenario = httpScenario({
  name: 'db',
  description: 'GET /db: one random row of World per request from PostgreSQL (TechEmpower test type 2).',
  title: 'Single-query throughput',
  endpoint: '/db',
  requires: ['/db'],
  services: DATABASE_SERVICES,
  verify: withDatabase(verifyDbEndpoint),
  levels: connectionLevels,
  beside: ['json', 'queries', 'fortunes', 'updates'],
});
