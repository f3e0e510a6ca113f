import type { Trace } from './scenarios';
import type { QueryOutcome, SimResult, StrategyName } from './simulator';

/** List prices, us-east-1, used to put a price on 1,000 queries (check the AWS pricing pages for yours). */
export const PRICES = {
  /** Step Functions Standard, per state transition. */
  transition: 0.025 / 1000,
  /** Lambda, per request, and per second run at 512 MB on arm64 (the functions' memory). */
  lambdaRequest: 0.2 / 1e6,
  lambdaSecond: 0.5 * 0.0000133334,
  /** DynamoDB on demand, per write and per read request unit. */
  dynamodbWrite: 0.625 / 1e6,
  dynamodbRead: 0.125 / 1e6,
  /** SQS per request: standard and FIFO. */
  sqsStandard: 0.4 / 1e6,
  sqsFifo: 0.5 / 1e6,
} as const;

/** The figures of one strategy in one scenario, as `bench/results.json` holds them. */
export interface Figures {
  readonly strategy: StrategyName;
  readonly arrivals: number;
  readonly completed: number;
  readonly failed: number;
  /** First arrival to last completion. */
  readonly makespanSeconds: number;
  /** max(total work / usable slots, longest query, last arrival plus its duration), from the first arrival. */
  readonly boundSeconds: number;
  /** Mean own queries running while at least one of ours waited to start. */
  readonly busySlotsWhileWaiting: number;
  /** Slots athena-wlm may use: the quota minus headroom. */
  readonly capacity: number;
  readonly quota: number;
  /** TooManyRequests answers to our own StartQueryExecution calls. */
  readonly throttledStarts: number;
  /** ThrottlingException answers: calls past Athena's StartQueryExecution API rate (20/s, burst 80). */
  readonly rateLimitedStarts: number;
  readonly lost: number;
  readonly unfinished: number;
  /** Arrival to the start of the run that finished, p95 per class and for all. */
  readonly waitP95Seconds: Readonly<Record<string, number>>;
  /** The same, mean (of the queries that started). */
  readonly waitMeanSeconds: Readonly<Record<string, number>>;
  /** Queries that waited more than a second to start. */
  readonly waitedOverOneSecond: number;
  /** Most StartQueryExecution calls in any one second (Athena's rate quota is 20/s, burst 80). */
  readonly peakStartsPerSecond: number;
  /**
   * Starter and dispatcher invocations the queries caused (the runs of the one-minute safety sweep, 60
   * an hour busy or idle, are counted apart), per query.
   */
  readonly lambdaRunsPerQuery: number;
  /** Dispatcher invocations with only the schedule's sweep to apply, per hour of the workload. */
  readonly sweepRunsPerHour: number;
  readonly transitionsPerQuery: number;
  readonly preemptions: number;
  /** Athena work thrown away by pre-emptions, in slot-seconds (billed, and run again). */
  readonly preemptedWorkSeconds: number;
  /** AWS requests and their price per 1,000 queries (athena-wlm and retry-only; the sample runs no state machine). */
  readonly per1000: {
    readonly lambdaRuns: number;
    /** Seconds the functions ran. */
    readonly lambdaSeconds: number;
    /** DynamoDB read and write request units (item sizes in bench/sim-aws.ts). */
    readonly dynamodbReads: number;
    readonly dynamodbWrites: number;
    readonly sqsRequests: number;
    readonly stepFunctionsApiCalls: number;
    readonly transitions: number;
    readonly costUsd: number;
  };
  readonly outsideRejected: number;
  readonly outsideSubmitted: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1];
}

/** p95 wait, in seconds; a query that never started counts as an infinite wait. */
export function waitP95(queries: readonly QueryOutcome[]): number {
  const waits = queries
    .map((q) => (q.startedAt === undefined ? Number.POSITIVE_INFINITY : q.startedAt - q.arrivedAt))
    .sort((a, b) => a - b);
  return round(percentile(waits, 95));
}

const round = (n: number, places = 1) => (Number.isFinite(n) ? Number(n.toFixed(places)) : n);

/** Most events in any window of one second, from their times in whole milliseconds. */
export function peakPerSecond(timesMs: readonly number[]): number {
  const sorted = [...timesMs].sort((a, b) => a - b);
  let peak = 0;
  let from = 0;
  for (let to = 0; to < sorted.length; to++) {
    while (sorted[to] - sorted[from] >= 1000) from++;
    peak = Math.max(peak, to - from + 1);
  }
  return peak;
}

/** Mean wait, in seconds, of the queries that started. */
export function waitMean(queries: readonly QueryOutcome[]): number {
  const started = queries.filter((q) => q.startedAt !== undefined);
  return round(
    started.reduce((sum, q) => sum + ((q.startedAt as number) - q.arrivedAt), 0) /
      Math.max(1, started.length),
  );
}

export function figuresOf(result: SimResult, trace: Trace): Figures {
  const q = result.queries;
  const completed = q.filter((x) => x.status === 'completed');
  const firstArrival = q.length ? Math.min(...q.map((x) => x.arrivedAt)) : 0;
  const lastFinish = completed.length ? Math.max(...completed.map((x) => x.finishedAt ?? 0)) : firstArrival;
  const work = trace.arrivals.reduce((sum, a) => sum + a.runtime, 0);
  const longest = Math.max(0, ...trace.arrivals.map((a) => a.runtime));
  const lastEnd = Math.max(0, ...trace.arrivals.map((a) => a.at + a.runtime));
  const bound = Math.max(work / result.capacity, longest, lastEnd - firstArrival);
  const classes = [...new Set(q.map((x) => x.className))];
  const r = result.requests;
  const runs = r.runTimes.length;
  const span = Math.max(1, lastFinish - firstArrival);
  const sweeps = r.sweepRunTimes.filter((t) => t >= firstArrival * 1000 && t <= lastFinish * 1000).length;
  const per = (n: number) => round((n / Math.max(1, q.length)) * 1000, 0);
  const lambdaRuns = r.lambdaRuns.starter + r.lambdaRuns.dispatcher + r.lambdaRuns.redrive;
  const cost =
    r.transitions * PRICES.transition +
    lambdaRuns * PRICES.lambdaRequest +
    (r.lambdaMs / 1000) * PRICES.lambdaSecond +
    r.dynamodb.writes * PRICES.dynamodbWrite +
    r.dynamodb.reads * PRICES.dynamodbRead +
    r.sqsStandard * PRICES.sqsStandard +
    r.sqsFifo * PRICES.sqsFifo;
  return {
    strategy: result.strategy,
    arrivals: q.length,
    completed: completed.length,
    failed: q.filter((x) => x.status === 'failed').length,
    makespanSeconds: round(lastFinish - firstArrival),
    boundSeconds: round(bound),
    busySlotsWhileWaiting: round(result.busyWhileWaiting, 2),
    capacity: result.capacity,
    quota: result.quota,
    throttledStarts: result.throttledAttempts,
    rateLimitedStarts: result.rateLimitedAttempts,
    lost: result.lost,
    unfinished: q.filter((x) => x.status === 'waiting' || x.status === 'running').length,
    waitP95Seconds: {
      ...Object.fromEntries(classes.map((c) => [c, waitP95(q.filter((x) => x.className === c))])),
      all: waitP95(q),
    },
    waitMeanSeconds: {
      ...Object.fromEntries(classes.map((c) => [c, waitMean(q.filter((x) => x.className === c))])),
      all: waitMean(q),
    },
    waitedOverOneSecond: q.filter((x) => x.startedAt === undefined || x.startedAt - x.arrivedAt > 1).length,
    peakStartsPerSecond: peakPerSecond(q.flatMap((x) => x.startCalls)),
    lambdaRunsPerQuery: round(runs / Math.max(1, q.length), 2),
    sweepRunsPerHour: round((sweeps / span) * 3600, 0),
    transitionsPerQuery: round(r.transitions / Math.max(1, q.length), 2),
    preemptions: result.preemptions,
    preemptedWorkSeconds: round(
      q.reduce((sum, x) => sum + x.lostWorkSeconds, 0),
      0,
    ),
    per1000: {
      lambdaRuns: per(lambdaRuns),
      lambdaSeconds: per(r.lambdaMs / 1000),
      dynamodbReads: per(r.dynamodb.reads),
      dynamodbWrites: per(r.dynamodb.writes),
      sqsRequests: per(r.sqsStandard + r.sqsFifo),
      stepFunctionsApiCalls: per(r.stepFunctionsApi),
      transitions: per(r.transitions),
      costUsd: round((cost / Math.max(1, q.length)) * 1000, 4),
    },
    outsideRejected: result.outsideRejected,
    outsideSubmitted: result.outsideSubmitted,
  };
}

/** Seconds for people: "3.2 s", "412 s", "31.4 min", "2.1 h", "never". */
export function duration(seconds: number): string {
  if (Number.isNaN(seconds)) return 'n/a';
  if (!Number.isFinite(seconds)) return 'never';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 600) return `${Math.round(seconds)} s`;
  if (seconds < 3 * 3600) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n));

/** Rows of a scenario's table: a metric per row, a strategy per column. */
const ROWS: readonly (readonly [string, (f: Figures) => string])[] = [
  [
    'Queries submitted / completed / failed',
    (f) => `${int(f.arrivals)} / ${int(f.completed)} / ${int(f.failed)}`,
  ],
  ['Lost / unfinished at the horizon', (f) => `${int(f.lost)} / ${int(f.unfinished)}`],
  [
    'Makespan / bound',
    (f) =>
      `${duration(f.makespanSeconds)} / ${duration(f.boundSeconds)} (${(f.makespanSeconds / f.boundSeconds).toFixed(2)}x)`,
  ],
  [
    'Own queries running while some wait / capacity',
    (f) => `${f.busySlotsWhileWaiting.toFixed(1)} / ${f.capacity}`,
  ],
  ['Throttled starts (`ThrottlingErrorCount`)', (f) => int(f.throttledStarts)],
  ['Starts refused for the API rate (ThrottlingException)', (f) => int(f.rateLimitedStarts)],
  ['Most StartQueryExecution calls in one second', (f) => int(f.peakStartsPerSecond)],
  ['Wait p95: all', (f) => duration(f.waitP95Seconds.all)],
  ['Wait p95: predictable (ETL)', (f) => duration(f.waitP95Seconds.predictable ?? Number.NaN)],
  ['Wait p95: exploratory', (f) => duration(f.waitP95Seconds.exploratory ?? Number.NaN)],
  ['Pre-emptions / work thrown away', (f) => `${int(f.preemptions)} / ${duration(f.preemptedWorkSeconds)}`],
  [
    'Lambda runs per query (starter + dispatcher) / sweep runs an hour',
    (f) => (f.strategy === 'athena-wlm' ? `${f.lambdaRunsPerQuery.toFixed(2)} / ${f.sweepRunsPerHour}` : '-'),
  ],
  [
    'State transitions per query',
    (f) => (f.strategy === 'reference-sample' ? 'none' : f.transitionsPerQuery.toFixed(1)),
  ],
  [
    'Cost per 1,000 queries (transitions, Lambda, DynamoDB, SQS)',
    (f) => (f.strategy === 'reference-sample' ? '-' : `$${f.per1000.costUsd.toFixed(3)}`),
  ],
  [
    'Console queries rejected / submitted',
    (f) => (f.outsideSubmitted ? `${int(f.outsideRejected)} / ${int(f.outsideSubmitted)}` : '-'),
  ],
];

export function table(figures: readonly Figures[]): string {
  const header = `| Metric | ${figures.map((f) => `\`${f.strategy}\``).join(' | ')} |`;
  const rule = `|---|${figures.map(() => '---:').join('|')}|`;
  const rows = ROWS.map(([label, cell]) => `| ${label} | ${figures.map(cell).join(' | ')} |`);
  return [header, rule, ...rows].join('\n');
}

/** The AWS requests athena-wlm makes per 1,000 queries, and what they cost. */
export function requestsTable(rows: readonly { scenario: string; figures: Figures }[]): string {
  return [
    '| Scenario | Lambda runs | Lambda seconds | DynamoDB read units | DynamoDB write units | SQS requests | Step Functions API calls | State transitions | Cost |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      ({ scenario, figures: { per1000: p } }) =>
        `| ${scenario} | ${int(p.lambdaRuns)} | ${int(p.lambdaSeconds)} | ${int(p.dynamodbReads)} | ${int(p.dynamodbWrites)} | ${int(p.sqsRequests)} | ${int(p.stepFunctionsApiCalls)} | ${int(p.transitions)} | $${p.costUsd.toFixed(3)} |`,
    ),
  ].join('\n');
}
