// Prints the versions of the runtime, Socket.IO and the broadcast layers as one JSON object, read
// from the installed package.json files (not every package's "exports" exports its own).
import { readFileSync } from 'node:fs';

const version = (name) => JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
console.log(
  JSON.stringify({
    node: process.versions.node,
    'socket.io': version('socket.io'),
    'engine.io': version('engine.io'),
    ws: version('ws'),
    '@socket.io/redis-adapter': version('@socket.io/redis-adapter'),
    '@socket.io/cluster-adapter': version('@socket.io/cluster-adapter'),
    redis: version('redis'),
  }),
);
