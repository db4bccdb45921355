// The article's measurable claims, as data. Each is judged on a ratio measured in one run on one
// machine (absolute figures depend on hardware and are shown, never judged across machines), taken
// pair by pair from samples of the two targets measured next to each other.
// `band` is the range of the ratio that counts as "what the article says", its own spread widened
// by the tolerance that "~" allows; a band open above ([1.05, Infinity]) is a direction with a least
// margin, for the article's words without a figure ("faster", "closed the gap").
// Two kinds are judged otherwise (`against`): a claim about one target's own figure ("containers
// deploy in seconds") against a bound in the figure's unit, on this machine only; and a count that
// was not reached here, set against this machine's memory.
//
// A claim names its targets as the article does (`node`, `django`) or by version (`node@25`,
// `django@5.2`, see targets/CONTRACT.md): a run's target answers to its own name and its aliases (a
// matrix's `node@24` is also `node` where 24 is the default), see harness/claims/target-names.ts. A
// claim whose targets a run did not measure is "not measured" in it, and no rounds wait for it.
export interface Claim {
  id: string;
  /** The article's own words. */
  quote: string;
  /** The article's words in short, for the verdicts at a glance. */
  short: string;
  /** What the article's figures predict, in words. */
  prediction: string;
  scenario: string;
  /** The figure the scenario's result kind gives for each side (see its figureNames). */
  figure: string;
  /** ratio = metric(numerator) / metric(denominator); for `against: 'bound'` both name the one target. */
  numerator: string;
  denominator: string;
  /** The ratio the article's figures imply, and the band that counts as agreeing with it. A ratio
   * without a band is shown, not judged (the article gives no figure for it). For `against: 'bound'`
   * both are in the figure's own unit instead: `expectedRatio` is the article's figure (10000 for
   * "about 10 s" of a figure in ms) and `band` the range of the figure itself ([0, 10000] ms). */
  expectedRatio: number;
  band?: [number, number];
  /** The article's absolute figures, for display only. */
  articleFigures: string;
  /** The same ratio with another target on one side, judged and shown beside the claim (Django under
   * WSGI beside Django under ASGI): the article does not say which deployment it means. */
  beside?: Beside[];
  /** Set on a `beside` entry: the claim it stands beside, and its key where it has one. */
  besideOf?: string;
  besideKey?: string;
  /**
   * What the claim is judged against where not another target. 'machine-memory': the numerator's
   * figure (an extrapolation) is set against this machine's memory, and never gets more than
   * 'inconclusive' (harness/claims/against-machine.ts). 'bound': one target's own figure (numerator
   * === denominator, that target) against `band` in the figure's unit, on the median's anytime-valid
   * interval over its samples, so rounds decide it as they decide a ratio
   * (harness/claims/against-bound.ts); a `beside` entry names its other target on both sides
   * (`{ numerator: 'django', denominator: 'django', why }`, id `<claim>:django/django`).
   */
  against?: 'machine-memory' | 'bound';
  /** For `against: 'bound'`: the figure in words, as its verdict's reason says it ("total deploy
   * time"); the figure's name (`figure`) where absent. */
  figureWords?: string;
  /** For `against: 'bound'`: the figure's unit, which its band is in (the report shows the band in it even where nothing was measured). */
  unit?: string;
}

/** A ratio judged beside a claim: other targets, or the same targets in another scenario (`key` then tells the two apart). */
export interface Beside {
  numerator?: string;
  denominator?: string;
  scenario?: string;
  figure?: string;
  key?: string;
  prediction?: string;
  why: string;
}

/** Socket.IO, which the article names for Node's real time, beside plain ws: what its protocol costs. */
const SOCKETIO_BESIDE = { numerator: 'node-socketio', why: "Socket.IO, which the article names for Node's real time (its cost over plain ws: compare with the node row)" };

/** The article's one column "Node.js / Deno": its figures hold for Deno as they do for Node. */
const DENO_WHY = 'Deno, which the article puts in one column with Node.js ("Node.js / Deno"), on the same band';

const WSGI_BESIDE = { denominator: 'django-wsgi', why: 'Django as TechEmpower and most deployments run it (gunicorn, WSGI, sync views)' };

/**
 * The article's JSON throughput, Node.js over Django: 1.2M/880k = 1.36 .. 1.3M/850k = 1.53, widened by
 * 10%. The json-throughput claim and the article's own table (Node.js 24 LTS against Django 6.0) both
 * read it.
 */
const JSON_THROUGHPUT_BAND: [number, number] = [1.23, 1.68];

/**
 * A release faster than another "by a margin that noise cannot give": at least 5% (the threshold
 * `compare` uses for a real change), with no upper end since the article gives no figure. The
 * anytime-valid interval already keeps noise out; the 5% keeps a change too small to matter from
 * counting as "the latest V8 optimizations".
 */
const FASTER_RELEASE_BAND: [number, number] = [1.05, Number.POSITIVE_INFINITY];

/**
 * "Significantly closed the historical performance gap": the gap node/django shrinks by at least a
 * fifth, gap(4.2) / gap(5.2) >= 1 / (1 - 0.2) = 1.25. Measured in one run with node, django@4.2 and
 * django@5.2 interleaved, each round's node trial is the same in both gaps, so pair by pair
 * (node/django@4.2) / (node/django@5.2) = django@5.2 / django@4.2: node cancels, and the claim is
 * judged on that ratio (node need not even run). A fifth, because "significantly" says more than
 * a change beyond noise (5%, as compare takes it) and the article gives no figure; no upper end.
 */
const GAP_CLOSED_BAND: [number, number] = [1.25, Number.POSITIVE_INFINITY];

/**
 * "Stronger after Django 6.0 async ORM improvements": at least 10% more database requests/s than 5.2,
 * twice the 5% that counts as a real change in `compare`, since "stronger" claims a gain a user
 * would notice, and less than the fifth of "significantly closed"; no upper end.
 */
const STRONGER_ORM_BAND: [number, number] = [1.1, Number.POSITIVE_INFINITY];

export const CLAIMS: Claim[] = [
  {
    id: 'json-throughput',
    short: "Node ~1.4x Django's JSON req/s",
    beside: [WSGI_BESIDE, { numerator: 'deno', why: DENO_WHY }],
    quote: 'Node.js edges JSON APIs significantly (1.2M vs Django ~880k req/sec per TechEmpower R23 benchmarks for Django 6.0).',
    prediction: 'Node.js serves ~1.4x the JSON requests/s of Django (1.2-1.3M vs 850-880k).',
    scenario: 'json',
    figure: 'best-rps',
    numerator: 'node',
    denominator: 'django',
    expectedRatio: 1.43,
    // 1.2M/880k = 1.36 .. 1.3M/850k = 1.53, widened by 10%.
    band: JSON_THROUGHPUT_BAND,
    articleFigures: 'Django ~850-880k req/s, Node.js ~1.2-1.3M req/s',
  },
  {
    id: 'django-matches-node-json',
    short: 'Django matches Node on JSON',
    beside: [{ numerator: 'django-wsgi', why: WSGI_BESIDE.why }],
    quote: 'TechEmpower benchmarks show Django matching Node.js for JSON APIs (850k vs 1.2M req/sec).',
    prediction: 'Django within ~10% of Node.js on JSON throughput ("matching").',
    scenario: 'json',
    figure: 'best-rps',
    numerator: 'django',
    denominator: 'node',
    expectedRatio: 1,
    band: [0.9, 1.1],
    articleFigures: 'Django 850k req/s vs Node.js 1.2M req/s',
  },
  {
    id: 'db-ops',
    short: 'Django ties Node on database ops',
    beside: [WSGI_BESIDE],
    quote: 'Django ties database ops (~450k/sec both).',
    prediction: 'Node.js and Django do about the same database operations per second (ratio ~1).',
    scenario: 'db',
    figure: 'best-rps',
    numerator: 'node',
    denominator: 'django',
    expectedRatio: 1,
    band: [0.9, 1.1],
    articleFigures: '~450k ops/s for both',
  },
  {
    id: 'startup',
    short: 'Django starts in ~180 ms, Node in ~75 ms',
    beside: [{ numerator: 'django-wsgi', why: WSGI_BESIDE.why }, { denominator: 'deno', why: DENO_WHY }],
    quote: 'Startup Time | ~180ms (Optimized) | ~75ms (V8 / Rust core)',
    // The application's own start: in containers without the engine's share (create to StartedAt),
    // a fixed cost that would pull the ratio towards 1; locally spawn to the first 200.
    prediction: "Django's application takes ~2.4x as long as Node.js's to start (180 ms vs 75 ms), the container engine's share left out.",
    scenario: 'startup',
    figure: 'ready-ms',
    numerator: 'django',
    denominator: 'node',
    expectedRatio: 2.4,
    band: [1.9, 2.9],
    articleFigures: 'Django ~180 ms, Node.js ~75 ms',
  },
  {
    id: 'websocket-users',
    short: "Node holds 3x Channels' WebSocket users",
    beside: [SOCKETIO_BESIDE],
    quote: 'Real-time WebSocket connections? Node handles 3x concurrent users.',
    prediction: 'Node.js holds ~3x the concurrent WebSocket users of Django Channels, with lower latency.',
    scenario: 'ws-capacity',
    figure: 'held-clients',
    numerator: 'node',
    denominator: 'django',
    expectedRatio: 3,
    band: [2.5, 3.5],
    articleFigures: 'Node.js 3x the concurrent users of Django Channels',
  },
  {
    id: 'websocket-latency',
    short: "Node's WebSocket latency is lower",
    beside: [SOCKETIO_BESIDE],
    quote: 'Socket.io / Native: Event loop handles ~3× more concurrent users with lower latency.',
    prediction: "Node.js answers a WebSocket echo faster than Django Channels at the same clients and offered rate, a real share of the slower one's capacity (p95 round trip below 0.9x Channels').",
    scenario: 'ws-echo',
    figure: 'rtt-p95',
    numerator: 'node',
    denominator: 'django',
    // A direction, not a figure: "lower" taken as at least 10% lower, so that noise does not count.
    expectedRatio: 0.5,
    band: [0, 0.9],
    articleFigures: 'no figure: "lower latency"',
  },
  {
    id: 'node-1m-connections',
    short: 'Node handles 1M+ connections',
    quote: 'Node handles 1M+ concurrent connections without blinking.',
    prediction: 'Node.js holds 1,000,000 WebSocket connections (what 1M would need, extrapolated with its interval from the memory over the held clients, set against the memory this machine had available).',
    scenario: 'ws-capacity',
    figure: 'projected-1m-bytes',
    numerator: 'node',
    denominator: 'node',
    expectedRatio: 1,
    band: [0, 1],
    against: 'machine-memory',
    articleFigures: '1M+ concurrent connections',
  },
  {
    id: 'channels-1m-users',
    short: 'Channels is ready for 1M+ users',
    quote: 'Not as seamless as Socket.io native implementation, but absolutely production-ready for 1M+ concurrent users.',
    prediction: 'Django Channels holds 1,000,000 WebSocket connections (what 1M would need, extrapolated with its interval from the memory over the held clients, set against the memory this machine had available).',
    scenario: 'ws-capacity',
    figure: 'projected-1m-bytes',
    numerator: 'django',
    denominator: 'django',
    expectedRatio: 1,
    band: [0, 1],
    against: 'machine-memory',
    articleFigures: '1M+ concurrent users',
  },
  {
    id: 'image-size',
    short: 'Node images 80 MB, Django 300 MB',
    quote: 'Node.js dominates microservices – 80 MB Docker containers vs Django 300MB images.',
    // "80 MB" is node:24-slim's size as a registry shows it (compressed; ~230 MB on disk): judged
    // on compressed sizes, on disk only for results that have none (the figure's detail says which).
    prediction: 'A Django image is ~3.75x the size of a Node.js image (300 MB vs 80 MB), compressed as a registry stores and shows it.',
    scenario: 'image-size',
    figure: 'image-bytes',
    numerator: 'django',
    denominator: 'node',
    expectedRatio: 3.75,
    band: [3, 4.5],
    articleFigures: 'Node.js ~80 MB, Django ~300 MB (as a registry shows them: compressed)',
  },
  // The deploy claims stand right after the image sizes they rest on. Both read the deploy scenario's
  // total (pull into a node that has nothing of the image, over a link at the scenario's first
  // rate, 1 Gbit/s by default, then start to the first 200), paired by round.
  {
    id: 'deploy-3x-faster',
    short: 'Node deploys 3x faster (Kubernetes)',
    quote: 'Node.js dominates microservices – 80 MB Docker containers vs Django 300MB images. Kubernetes deploys 3x faster, scales horizontally effortlessly.',
    prediction:
      "A Django deploy takes ~3x as long as a Node.js deploy on a node that lacks the image: pulled from a registry at the deploy scenario's first link rate (1 Gbit/s by default) and started to the first 200.",
    scenario: 'deploy',
    figure: 'total-ms',
    numerator: 'django',
    denominator: 'node',
    // "3x" as the WebSocket "3x" is read: 2.5 to 3.5 (a rounded figure, ±1/6). The article puts it
    // next to the image sizes (300/80 = 3.75), so a deploy that is all pull would land near them.
    expectedRatio: 3,
    band: [2.5, 3.5],
    articleFigures: 'Node.js deploys 3x faster (80 MB vs 300 MB images)',
  },
  {
    id: 'deploy-in-seconds',
    short: 'Containers deploy in seconds',
    beside: [
      { numerator: 'django', denominator: 'django', prediction: "beside it, Django's deploy on the same band: the article's words are said of containers in general", why: 'Django' },
      { numerator: 'deno', denominator: 'deno', prediction: "beside it, Deno's deploy on the same band (the article's one column \"Node.js / Deno\")", why: DENO_WHY },
    ],
    quote: 'Containers deploy in seconds.',
    prediction:
      "A Node.js container deploys in at most about 10 s on a node that lacks its image: pulled from a registry at the deploy scenario's first link rate (1 Gbit/s by default) and started to the first 200.",
    scenario: 'deploy',
    figure: 'total-ms',
    figureWords: 'total deploy time',
    unit: 'ms',
    numerator: 'node',
    denominator: 'node',
    against: 'bound',
    // No figure: "in seconds" is said of what takes a few seconds, as against minutes; tens of
    // seconds would be "under a minute". Read as at most 10 s, the most that "a few" stretches to;
    // the median is 5 s (the band's middle). In this figure's unit, ms.
    expectedRatio: 5000,
    band: [0, 10_000],
    articleFigures: 'no figure: "in seconds"',
  },
  {
    id: 'memory',
    short: 'Node uses 20% less RAM',
    beside: [
      WSGI_BESIDE,
      {
        scenario: 'ws-capacity',
        figure: 'memory-at-scale',
        key: 'at-scale',
        prediction: 'at scale: Node.js needs ~0.8x the memory of Django while holding the same many WebSocket clients (the most clients both held, measured at that step, not extrapolated)',
        why: 'memory at scale',
      },
    ],
    quote: 'Node.js runs 20% lighter on RAM consumption at massive scale',
    prediction: 'Node.js needs ~0.8x the memory of Django at steady state under the same request rate.',
    scenario: 'memory',
    figure: 'steady-memory',
    numerator: 'node',
    denominator: 'django',
    expectedRatio: 0.8,
    band: [0.7, 0.9],
    articleFigures: 'Node.js 20% less RAM than Django',
  },
  {
    id: 'deno-beside-node',
    short: 'Deno beside Node on JSON (a figure)',
    quote: 'JSON/sec | ~880k reqs (TechEmpower R23) | ~1.3M+ reqs (TechEmpower R23)  [one column for "Node.js / Deno"]',
    prediction: "Deno's JSON rate beside Node.js's, shown and not judged: the article gives one column for both and no figure for one against the other (Deno is judged against Django beside the JSON and startup claims).",
    scenario: 'json',
    figure: 'best-rps',
    numerator: 'deno',
    denominator: 'node',
    expectedRatio: 1,
    articleFigures: 'Node.js / Deno ~1.3M+ req/s (one column)',
  },

  // Claims about releases: each version of a target is its own target in a run (`--versions
  // node=24,25,26 django=4.2,5.2,6.1`), measured side by side, so a release's gain is a ratio taken
  // pair by pair like any other. A run without those versions leaves these "not measured".
  {
    id: 'node25-over-node24',
    short: 'Node.js 25 out-serves 24 on JSON',
    beside: [
      {
        numerator: 'node@26',
        why: 'Node.js 26, the release after 25 with a newer V8 still: the article\'s reasoning ("the latest V8 engine optimizations") asked of it, on the same band (the article says nothing of 26)',
      },
    ],
    quote: 'Node.js 25 (October 2025, Current release) delivers 1.2M+ JSON responses/second with the latest V8 engine optimizations. Node.js 24 entered LTS in October 2025 and is recommended for production.',
    prediction: 'Node.js 25 serves more JSON requests/s than Node.js 24 LTS by a margin that noise cannot give (at least 5% more: its "latest V8 engine optimizations").',
    scenario: 'json',
    figure: 'best-rps',
    numerator: 'node@25',
    denominator: 'node@24',
    // A direction, not a figure: the article gives 25 "1.2M+" and no figure for 24 (its table puts
    // Node.js 24.12 at ~1.3M+). Faster by at least 5%: see FASTER_RELEASE_BAND.
    expectedRatio: 1.1,
    band: FASTER_RELEASE_BAND,
    articleFigures: 'Node.js 25 1.2M+ JSON responses/s; no figure for 24',
  },
  {
    id: 'django52-closes-gap-json',
    short: "Django 5.2's ASGI closed the gap (JSON)",
    beside: [
      { numerator: 'django@6.0', why: 'Django 6.0, whose "continued ASGI improvements" keep the gap at least as closed: the same shrink against 4.2' },
      { numerator: 'django@6.1', why: 'Django 6.1, the newest 6.x: the same shrink against 4.2' },
    ],
    quote: 'Django ASGI optimization in 5.2 significantly closed the historical performance gap.',
    prediction:
      "Django 5.2's gap to Node.js on JSON throughput (node/django, async views on ASGI) is at least a fifth smaller than Django 4.2 LTS's: (node/django@4.2) / (node/django@5.2) = django@5.2/django@4.2 >= 1.25, measured in one run.",
    scenario: 'json',
    figure: 'best-rps',
    // (node/django@4.2) / (node/django@5.2), pair by pair, is django@5.2/django@4.2: see GAP_CLOSED_BAND.
    numerator: 'django@5.2',
    denominator: 'django@4.2',
    expectedRatio: 1.25,
    band: GAP_CLOSED_BAND,
    articleFigures: 'no figure: "significantly closed the historical performance gap"',
  },
  {
    id: 'django60-async-orm-db',
    short: "Django 6.0's async ORM is stronger (db)",
    beside: [{ numerator: 'django@6.1', why: "Django 6.1, the newest 6.x, which keeps 6.0's async ORM: the same gain over 5.2" }],
    quote: 'DRF / Ninja: Stronger after Django 6.0 async ORM improvements, but still heavy for Lambdas.',
    prediction: 'Django 6.0 (async views, async ORM) serves at least 10% more single-row database requests/s than Django 5.2 LTS, measured in one run (the gap node/django shrinks by the same factor).',
    scenario: 'db',
    figure: 'best-rps',
    numerator: 'django@6.0',
    denominator: 'django@5.2',
    // "Stronger", without a figure: see STRONGER_ORM_BAND.
    expectedRatio: 1.1,
    band: STRONGER_ORM_BAND,
    articleFigures: 'no figure: "stronger after Django 6.0 async ORM improvements"',
  },
  {
    id: 'article-table-json',
    short: "The article's table: Node.js 24 vs Django 6.0",
    beside: [{ numerator: 'deno@2.6', why: 'Deno 2.6, the other half of the table\'s "Node.js 24.12 LTS + Deno 2.6" column, on the same band' }],
    quote: '| Release | Django 6.0.1 (Python 3.14) | Node.js 24.12 LTS + Deno 2.6 |  and  | JSON/sec | ~880k reqs (TechEmpower R23) | ~1.3M+ reqs (TechEmpower R23) |',
    // Python 3.14 only where the runtime has it (an official python:3.14-slim base): Django 6.0 runs
    // on the newest Python the runtime can supply, and each side's detail (and the report's targets
    // table) names the Python it ran on, from the running server's own version report.
    prediction:
      "The article's table as configured: Node.js 24 LTS serves ~1.4x the JSON requests/s of Django 6.0 (on the newest Python the runtime has; the article's is 3.14, the side's detail says which ran), the json-throughput band.",
    scenario: 'json',
    figure: 'best-rps',
    numerator: 'node@24',
    denominator: 'django@6.0',
    expectedRatio: 1.43,
    band: JSON_THROUGHPUT_BAND,
    articleFigures: 'Django 6.0.1 (Python 3.14) ~880k req/s, Node.js 24.12 LTS + Deno 2.6 ~1.3M+ req/s',
  },
];

/** The claims with their `beside` entries expanded, each right after its claim. */
export function withBeside(claims: Claim[]): Claim[] {
  return claims.flatMap((c) => [
    c,
    ...(c.beside ?? []).map((b): Claim => {
      const numerator = b.numerator ?? c.numerator;
      const denominator = b.denominator ?? c.denominator;
      return {
        ...c,
        id: `${c.id}:${b.key ?? `${numerator}/${denominator}`}`,
        prediction: b.prediction ?? `beside it, ${numerator}/${denominator}: ${b.why}`,
        scenario: b.scenario ?? c.scenario,
        figure: b.figure ?? c.figure,
        numerator,
        denominator,
        beside: undefined,
        besideOf: c.id,
        ...(b.key && { besideKey: b.key }),
      };
    }),
  ]);
}
