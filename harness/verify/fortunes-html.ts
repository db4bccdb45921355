// The /fortunes table read the way TechEmpower's verifier reads it: whitespace between tags does
// not matter, entities are decoded (&quot; = &#34; = &#x22;), and the rows are compared with the
// database's own, in order. Pure functions, for the unit tests and for db-contract.ts.
import type { CheckResult } from '../types.ts';

export const ADDED_FORTUNE = { id: 0, message: 'Additional fortune added at request time.' } as const;

export interface FortuneRow {
  id: number;
  message: string;
}

/** One data row of the table as served: the id cell's text, and the message cell before and after decoding. */
export interface ParsedFortune {
  idText: string;
  rawMessage: string;
  message: string;
}

export interface ParsedFortunesTable {
  /** False when the body has no <table> at all. */
  hasTable: boolean;
  rows: ParsedFortune[];
  /** Structural problems: rows with other than two cells. */
  problems: string[];
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decodes the entities a template engine emits; an unknown or malformed one stays as written. */
export function decodeHtmlEntities(text: string): string {
  return text.replace(/&(#[xX][0-9a-fA-F]+|#[0-9]+|[a-zA-Z][a-zA-Z0-9]*);/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** The data rows of the first table in the body (rows made of <th> cells are its header and skipped). */
export function parseFortunesTable(html: string): ParsedFortunesTable {
  const start = html.search(/<table\b/i);
  if (start < 0) return { hasTable: false, rows: [], problems: [] };
  const end = html.slice(start).search(/<\/table\s*>/i);
  const table = end < 0 ? html.slice(start) : html.slice(start, start + end);
  const rows: ParsedFortune[] = [];
  const problems: string[] = [];
  // Split on <tr> rather than matching <tr>...</tr>: HTML lets a template omit </tr>.
  for (const chunk of table.split(/<tr\b[^>]*>/i).slice(1)) {
    const cells = [...chunk.matchAll(/<td\b[^>]*>([\s\S]*?)<\/td\s*>/gi)].map((m) => (m[1] ?? '').trim());
    if (cells.length === 0) {
      if (/<th\b/i.test(chunk)) continue;
      problems.push(`a row without <td> cells: ${JSON.stringify(chunk.trim().slice(0, 80))}`);
      continue;
    }
    if (cells.length !== 2) {
      problems.push(`a row with ${cells.length} cells instead of 2: ${JSON.stringify(chunk.trim().slice(0, 80))}`);
      continue;
    }
    const [idText, rawMessage] = cells as [string, string];
    rows.push({ idText: decodeHtmlEntities(idText).trim(), rawMessage, message: decodeHtmlEntities(rawMessage) });
  }
  return { hasTable: true, rows, problems };
}

/** Code point order, as Python's sort and TechEmpower's expected table use (JS's default sorts UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i]!.codePointAt(0) ?? 0) - (y[i]!.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

const pass = (name: string, detail: string): CheckResult => ({ name, status: 'pass', detail });
const fail = (name: string, detail: string): CheckResult => ({ name, status: 'fail', detail });
const quote = (s: string, max = 60) => JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
const listed = (problems: string[]) => `${problems.slice(0, 3).join('; ')}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}`;

/**
 * Checks a /fortunes body against the database's rows: fortunes-utf8, fortunes-table,
 * fortunes-escaped, fortunes-content, fortunes-added, fortunes-order. Each names one fault, so a
 * server that forgets the added row fails fortunes-added only.
 */
export function checkFortunesBody(body: Buffer, dbRows: readonly FortuneRow[]): CheckResult[] {
  const checks: CheckResult[] = [];
  let html: string;
  try {
    html = new TextDecoder('utf-8', { fatal: true }).decode(body);
    checks.push(pass('fortunes-utf8', `${body.length} bytes of valid UTF-8`));
  } catch {
    html = body.toString('utf8');
    checks.push(fail('fortunes-utf8', 'the body is not valid UTF-8'));
  }

  const table = parseFortunesTable(html);
  const badIds = table.rows.filter((r) => !/^\d+$/.test(r.idText)).map((r) => `id cell ${quote(r.idText)} is not an integer`);
  if (!table.hasTable) checks.push(fail('fortunes-table', `no <table> in the body: ${quote(html.trim(), 80)}`));
  else if (table.rows.length === 0) checks.push(fail('fortunes-table', 'the table has no rows of two <td> cells'));
  else if (table.problems.length + badIds.length > 0) checks.push(fail('fortunes-table', listed([...table.problems, ...badIds])));
  else checks.push(pass('fortunes-table', `${table.rows.length} rows of id and message`));

  // A '<' left in a cell is markup the message injected (TechEmpower: quotes and '>' may stay raw).
  const raw = table.rows.filter((r) => r.rawMessage.includes('<'));
  checks.push(
    raw.length > 0
      ? fail('fortunes-escaped', `message of id ${raw[0]!.idText} is not HTML-escaped: ${quote(raw[0]!.rawMessage)}`)
      : table.rows.length > 0
        ? pass('fortunes-escaped', 'no raw markup in any message')
        : pass('fortunes-escaped', 'no rows to check (see fortunes-table)'),
  );

  const expected = new Map(dbRows.map((r) => [r.id, r.message]));
  const seen = new Set<number>();
  const problems: string[] = [];
  for (const row of table.rows) {
    const id = Number(row.idText);
    if (!/^\d+$/.test(row.idText) || id === ADDED_FORTUNE.id) continue;
    if (seen.has(id)) problems.push(`id ${id} appears twice`);
    seen.add(id);
    const want = expected.get(id);
    if (want === undefined) problems.push(`id ${id} is not in the database`);
    else if (row.message !== want) problems.push(`id ${id} reads ${quote(row.message)}, the database has ${quote(want)}`);
  }
  const missing = dbRows.filter((r) => !seen.has(r.id)).map((r) => r.id);
  if (missing.length > 0) problems.unshift(`missing id${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  checks.push(problems.length > 0 ? fail('fortunes-content', listed(problems)) : pass('fortunes-content', `all ${dbRows.length} database rows, intact`));

  const added = table.rows.filter((r) => r.idText === String(ADDED_FORTUNE.id));
  if (added.length === 0) checks.push(fail('fortunes-added', `no row with id 0 (${quote(ADDED_FORTUNE.message)}) added at request time`));
  else if (added.length > 1) checks.push(fail('fortunes-added', `${added.length} rows with id 0`));
  else if (added[0]!.message !== ADDED_FORTUNE.message) checks.push(fail('fortunes-added', `id 0 reads ${quote(added[0]!.message)}, expected ${quote(ADDED_FORTUNE.message)}`));
  else checks.push(pass('fortunes-added', `id 0: ${quote(ADDED_FORTUNE.message)}`));

  const outOfOrder = table.rows.findIndex((r, i) => i > 0 && compareCodePoints(table.rows[i - 1]!.message, r.message) > 0);
  if (table.rows.length === 0) checks.push(pass('fortunes-order', 'no rows to check (see fortunes-table)'));
  else if (outOfOrder > 0) {
    const [a, b] = [table.rows[outOfOrder - 1]!, table.rows[outOfOrder]!];
    checks.push(fail('fortunes-order', `not sorted by message: row ${outOfOrder} (id ${a.idText}, ${quote(a.message, 30)}) comes before row ${outOfOrder + 1} (id ${b.idText}, ${quote(b.message, 30)})`));
  } else checks.push(pass('fortunes-order', `${table.rows.length} rows sorted by message`));
  return checks;
}
