// Prints the versions of the runtime, framework, database driver and template engine as one JSON
// object. Read from the installed package.json files (ejs's "exports" does not export its own).
import { readFileSync } from 'node:fs';

const version = (name) => JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
console.log(JSON.stringify({ node: process.versions.node, express: version('express'), pg: version('pg'), ejs: version('ejs') }));
