// Scenario `json`: TechEmpower's JSON serialization test, GET /json at each connection level.
import { httpScenario } from '../harness/http/scenario.ts';
import { verifyJson } from '../harness/verify/json-contract.ts';

export const jsonScenario = httpScenario({
  name: 'json',
  description: 'GET /json: JSON serialization throughput and latency (TechEmpower test type 1).',
  title: 'JSON throughput',
  endpoint: '/json',
  requires: ['/json'],
  verify: verifyJson,
});
