import { randomUUID } from 'node:crypto';
import type { QueryViewBody } from '../contracts/responses';
import type { ApiClient } from './api-client';
import { type ProgressStream, waitForQuery } from './wait';

/** The reference sample's query (its JMeter body), which the local runtime's sample `alb_logs` answers. */
export const REFERENCE_QUERY =
  'SELECT COUNT(request_verb) AS count, request_verb, client_ip FROM alb_logs GROUP BY request_verb, client_ip;';

/** The reference sample's three metrics. */
export const SEED_METRICS = ['StartQueryCount', 'ThrottlingErrorCount', 'RestartQueryCount'] as const;
export type SeedMetric = (typeof SEED_METRICS)[number];

/** Reads a seed metric's sum from a moment on (CloudWatch on AWS, the console's counters locally). */
export interface SeedMetricsReader {
  /** Where the numbers come from, for the printout. */
  readonly source: string;
  sumSince(metric: SeedMetric, since: Date): Promise<number>;
}

export interface SmokeOptions {
  /** @default the API's default class (that of POST /athena/query) */
  readonly className?: string;
  /** @default REFERENCE_QUERY */
  readonly query?: string;
  readonly database?: string;
  /** Longest wait for the query to end. @default 15 minutes */
  readonly queryTimeoutMs?: number;
  /** Longest wait for StartQueryCount to count the run (CloudWatch Logs delivery takes minutes). @default 5 minutes */
  readonly metricsTimeoutMs?: number;
  readonly pollMs?: number;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface SmokeResult {
  readonly passed: boolean;
  readonly queryId: string;
  readonly failure?: string;
}

type SmokeApi = Pick<ApiClient, 'submit' | 'getQuery' | 'results' | 'workgroups'>;

/** The columns the reference query returns. */
const REFERENCE_COLUMNS = ['count', 'request_verb', 'client_ip'];

/**
 * After a deploy (or against the local runtime): submits a query to a class, follows it to its end,
 * reads its rows and checks that the seed metrics counted it, printing each step. Resolves with whether
 * every check passed and, if not, which one failed and what to do.
 */
export async function runSmoke(
  api: SmokeApi,
  metrics: SeedMetricsReader,
  out: ProgressStream,
  options: SmokeOptions = {},
): Promise<SmokeResult> {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const step = (n: number, text: string) => out.write(`[${n}/5] ${text}\n`);
  const query = options.query ?? REFERENCE_QUERY;
  const queryId = `smoke-${randomUUID()}`;
  const fail = (failure: string): SmokeResult => {
    out.write(`FAILED: ${failure}\n`);
    return { passed: false, queryId, failure };
  };

  const classes = await api.workgroups();
  const className = options.className ?? classes.defaultClass;
  const known = classes.classes.map((c) => c.name);
  step(1, `classes: ${known.join(', ')}; submitting to ${className}`);
  if (!known.includes(className))
    return fail(`class ${className} does not exist (classes: ${known.join(', ')})`);

  const since = now();
  const accepted = await api.submit(
    { query, queryId, ...(options.database ? { database: options.database } : {}) },
    className,
  );
  step(2, `submitted ${accepted.queryId}: ${query.length > 100 ? `${query.slice(0, 97)}...` : query}`);

  const view = await withTimeout(
    waitForQuery(api, accepted.queryId, { stream: { write: (text) => out.write(`      ${text}`) }, sleep }),
    options.queryTimeoutMs ?? 15 * 60_000,
    `query ${accepted.queryId} did not end in time`,
  ).catch((error: Error) => error);
  if (view instanceof Error) return fail(view.message);
  step(3, `${view.status} after ${describeTimes(view)}`);
  if (view.status !== 'SUCCEEDED') {
    const why = view.reason ?? view.error?.message ?? 'no reason given';
    const hint =
      /alb_logs/.test(why) && query === REFERENCE_QUERY
        ? " The account has no alb_logs table: create it (the reference sample's DDL) or pass --sql 'SELECT 1 AS one'."
        : '';
    return fail(`the query ended ${view.status}: ${why}.${hint}`);
  }

  const page = await api.results(accepted.queryId, { maxResults: 10 });
  const columns = page.columns.map((c) => c.name);
  step(4, `rows: columns ${columns.join(', ')}; first page has ${page.rows.length} row(s)`);
  for (const row of page.rows.slice(0, 3)) out.write(`      ${row.map((v) => v ?? 'NULL').join(' | ')}\n`);
  if (page.rows.length === 0) return fail('the query returned no rows');
  if (query === REFERENCE_QUERY && REFERENCE_COLUMNS.some((c) => !columns.includes(c))) {
    return fail(
      `the reference query answered columns ${columns.join(', ')}, not ${REFERENCE_COLUMNS.join(', ')}`,
    );
  }

  // StartQueryCount must count this run; the other two move only under throttling, which a smoke
  // check must not cause, so they are read and shown.
  const deadline = now().getTime() + (options.metricsTimeoutMs ?? 5 * 60_000);
  let counts: Record<SeedMetric, number>;
  for (;;) {
    counts = Object.fromEntries(
      await Promise.all(SEED_METRICS.map(async (m) => [m, await metrics.sumSince(m, since)] as const)),
    ) as Record<SeedMetric, number>;
    if (counts.StartQueryCount >= 1 || now().getTime() >= deadline) break;
    await sleep(options.pollMs ?? 15_000);
  }
  step(
    5,
    `seed metrics since the submission (${metrics.source}): ${SEED_METRICS.map((m) => `${m} ${counts[m]}`).join(', ')}`,
  );
  if (counts.StartQueryCount < 1) {
    return fail(
      `StartQueryCount did not count the run within ${Math.round((options.metricsTimeoutMs ?? 300_000) / 1000)} s (${metrics.source}); check the state machine's log group and its metric filters`,
    );
  }
  out.write('PASSED: the query ran through athena-wlm and the seed metrics counted it.\n');
  return { passed: true, queryId };
}

function describeTimes(view: QueryViewBody): string {
  const parts = [
    view.queueWaitMs !== undefined ? `${view.queueWaitMs} ms in line` : undefined,
    view.engineTimeMs !== undefined ? `${view.engineTimeMs} ms in Athena's engine` : undefined,
    view.dataScannedBytes !== undefined ? `${view.dataScannedBytes} bytes scanned` : undefined,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'no timings';
}

async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
