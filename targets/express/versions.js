// Prints the versions of the runtime and framework as one JSON object.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
console.log(JSON.stringify({ node: process.versions.node, express: require('express/package.json').version }));
