// report.html in a real browser (Debian's chromium, driven by playwright-core): the claims at a
// glance, the claims in detail and every chart must be rendered, with nothing fetched from the network.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReports } from '../../harness/cli/write-reports.ts';
import { evaluateClaims } from '../../harness/claims/evaluate.ts';
import { CLAIMS } from '../../scenarios/claims.ts';
import { fakeLifecycle, fakeResults } from '../fixtures/results.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let browser: Browser;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: install Debian's chromium package (sudo apt-get install -y chromium), as .ci/run does, or set CHROMIUM_PATH.`);
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
});

describe('report.html in Chromium', () => {
  it('shows a verdict for every claim, at a glance and in detail, and renders every chart', async () => {
    const results = fakeResults();
    results.measurements.push(...fakeLifecycle('node', [70, 75, 80], 40, 80e6, 75e6), ...fakeLifecycle('django', [170, 180, 190], 50, 300e6, 120e6));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-html-'));
    await writeReports(dir, results);
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${path.join(dir, 'report.html')}`);

    const verdicts = await page.$$eval('#claims tbody tr td:nth-child(5)', (cells) => cells.map((c) => c.textContent?.trim()));
    // Every claim is a row (a claim shown beside another only where both its targets ran).
    expect(verdicts).toHaveLength(evaluateClaims(results).length);
    expect(verdicts.length).toBeGreaterThanOrEqual(CLAIMS.length);
    for (const v of verdicts) expect(['supported', 'refuted', 'inconclusive']).toContain(v);

    // The glance: one row per verdict, in the same order, its verdict cell coloured as in the detail.
    const expected = evaluateClaims(results);
    const glance = await page.$$eval('#glance tbody tr', (rows) =>
      rows.map((r) => ({ claim: r.getAttribute('data-claim'), verdict: r.querySelector('td:nth-child(5)')?.textContent?.trim(), cls: r.querySelector('td:nth-child(5)')?.className, how: r.querySelector('td:nth-child(6)')?.textContent?.trim() })),
    );
    expect(glance).toEqual(expected.map((v) => ({ claim: v.claim.id, verdict: v.verdict, cls: v.verdict, how: v.decision.text })));
    // It opens the page: the glance table starts within the first screen.
    const glanceTop = await page.$eval('#glance', (t) => t.getBoundingClientRect().top);
    expect(glanceTop).toBeLessThan(400);

    const charts = await page.$$eval('figure.chart', (figures) =>
      figures.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return { name: f.getAttribute('data-chart'), width: box?.width ?? 0, height: box?.height ?? 0, marks: svg?.querySelectorAll('path, line, rect, circle').length ?? 0, text: f.textContent ?? '' };
      }),
    );
    expect(charts.map((c) => c.name)).toEqual(['claims-forest', 'json-throughput', 'json-latency', 'startup', 'memory', 'image-size']);
    for (const c of charts) {
      expect(c.width, c.name!).toBeGreaterThan(200);
      expect(c.height, c.name!).toBeGreaterThan(50);
      expect(c.marks, c.name!).toBeGreaterThan(5);
    }
    const notMeasured = await page.$$eval('#claims tbody tr', (rows) => rows.filter((r) => r.textContent?.includes('not measured')).map((r) => r.getAttribute('data-claim')));
    expect(notMeasured).toEqual(['db-ops', 'websocket-users', 'websocket-latency', 'node-1m-connections', 'channels-1m-users', 'deploy-3x-faster', 'deploy-in-seconds', 'deploy-in-seconds:django/django', 'memory:at-scale', 'deno-beside-node', 'node25-over-node24', 'django52-closes-gap-json', 'django60-async-orm-db', 'article-table-json']);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    await page.screenshot({ path: path.join(dir, 'report.png'), fullPage: true });
    await page.close();
  }, 60_000);
});
