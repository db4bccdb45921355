// Build contexts as tar streams, made in memory: the target's folder without what the local
// runtime installed there (venvs, node_modules), plus the Dockerfile and .bench-build/.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import tar from 'tar-fs';

const EXCLUDE = new Set(['.venv', 'node_modules', '__pycache__', '.prepared.json', '.pytest_cache']);

/** The CA bundle a build should trust, when the host reaches registries through an inspecting proxy. */
export function buildCaFile(env: NodeJS.ProcessEnv = process.env): string | null {
  for (const name of ['BENCH_BUILD_CA_FILE', 'NODE_EXTRA_CA_CERTS', 'PIP_CERT', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE']) {
    const file = env[name];
    if (file && fs.existsSync(file)) return file;
  }
  return null;
}

export function isExcluded(relative: string): boolean {
  return relative.split(path.sep).some((part) => EXCLUDE.has(part));
}

/** Files of the context, relative, sorted: what the context hash covers. */
export function contextFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (isExcluded(child)) continue;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.push(child);
    }
  };
  walk('');
  return out.sort();
}

export function contextHash(dir: string, dockerfile: string, extra: string): string {
  const hash = createHash('sha256');
  hash.update(fs.readFileSync(dockerfile));
  hash.update(extra);
  for (const file of contextFiles(dir)) {
    hash.update(file);
    hash.update(fs.readFileSync(path.join(dir, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

/** A tar stream of `dir` (minus local installs) with the Dockerfile and .bench-build/ added. */
export function packContext(dir: string, dockerfile: string, caFile: string | null = buildCaFile()): Readable {
  return tar.pack(dir, {
    ignore: (name) => isExcluded(path.relative(dir, name)),
    finalize: false,
    finish: (pack) => {
      pack.entry({ name: 'Dockerfile' }, fs.readFileSync(dockerfile));
      pack.entry({ name: '.bench-build/README', mode: 0o644 }, 'Build-time files added by the harness; only builder stages copy them.\n');
      if (caFile) pack.entry({ name: '.bench-build/ca.crt', mode: 0o644 }, fs.readFileSync(caFile));
      pack.finalize();
    },
  }) as unknown as Readable;
}
