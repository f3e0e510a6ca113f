/**
 * The local pipeline end to end (`npm run bench -- --local`): the real local runtime (`startLocalRuntime`:
 * HTTP API -> SQLite queue -> starter -> run-query on aws-local-stepfunctions, waiting in its class's line
 * for the dispatcher -> DuckDB Athena -> ledger) on a loopback port with small sample tables, fed a burst
 * of N queries of the five classes (one in twenty with bad SQL) over HTTP at once, followed to the end in
 * the ledger. It measures this machine and this runtime, not AWS: how long the burst takes to drain next
 * to the engine's own work (the sum of engine times over the cores).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../contracts/config';
import { isTerminal } from '../contracts/query-status';
import { type QueryView, toQueryView } from '../functions/core/query-view';
import { startLocalRuntime } from '../local/runtime';
import { duration, percentile } from './report';

/** Small sample tables: real GROUP BYs over tens of thousands of rows, generated in a second or two. */
export const LOCAL_SAMPLE = { albLogLines: 20_000, sensorReadings: 5_000 } as const;
export const DEFAULT_LOCAL_QUERIES = 300;
/** One query in this many has SQL Athena refuses (it ends FAILED once, not retried). */
export const BAD_SQL_EVERY = 20;
export const BAD_SQL = 'SELECT nosuchcolumn FROM alb_logs';

/** One query per class, all over the sample tables; the mix cycles through MIX. */
export const QUERIES: Readonly<Record<string, string>> = {
  predictable:
    'SELECT COUNT(request_verb) AS count, request_verb, client_ip FROM alb_logs GROUP BY request_verb, client_ip;',
  fast: 'SELECT count(*) AS n FROM alb_logs',
  long: 'SELECT farm_id, sensor_type, avg(reading) AS mean, max(reading) AS peak FROM sensor_readings GROUP BY farm_id, sensor_type ORDER BY farm_id, sensor_type',
  exploratory:
    'SELECT elb_status_code, count(*) AS n, avg(target_processing_time) AS t FROM alb_logs GROUP BY elb_status_code ORDER BY n DESC',
  adhoc:
    'SELECT sensor_type, count(*) AS n, min(unit) AS unit FROM sensor_readings GROUP BY sensor_type ORDER BY sensor_type',
};

/** Of every 10 queries: 4 predictable, 2 fast, 1 long, 2 exploratory, 1 adhoc (the overload scenario's mix). */
export const MIX: readonly string[] = [
  'predictable',
  'fast',
  'exploratory',
  'predictable',
  'adhoc',
  'predictable',
  'fast',
  'long',
  'exploratory',
  'predictable',
];

export interface LocalQueryFigures {
  readonly queryId: string;
  readonly className: string;
  readonly status: string;
  /** Submission (ledger submittedAt) to the end (finishedAt), ms. */
  readonly elapsedMs: number;
  /** Submission to the start of its run (waiting for a slot and the starter), ms. */
  readonly queueWaitMs: number;
  /** Athena's own queue time and engine time, as the local Athena reports them, ms. */
  readonly athenaQueueTimeMs: number;
  readonly engineTimeMs: number;
  /** The POST's round trip, ms. */
  readonly submitMs: number;
}

export interface LocalPipelineResult {
  readonly queries: readonly LocalQueryFigures[];
  /** Runtime start with sample data generation, ms. */
  readonly startupMs: number;
  /** First POST sent to the last query seen terminal by polling, ms. */
  readonly wallMs: number;
  /** All POSTs answered, ms after the first was sent. */
  readonly submitPhaseMs: number;
  readonly config: string;
  readonly pollEveryMs: number;
  /** First submission to the last end, from the ledger, ms. */
  readonly drainMs: number;
  /** The engine's own work: the sum of engine times over this machine's cores, ms. */
  readonly engineWorkMs: number;
  readonly cores: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function json<T>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

export async function runLocalPipeline(
  options: { queries?: number; pollEveryMs?: number; timeoutMs?: number } = {},
): Promise<LocalPipelineResult> {
  const n = options.queries ?? DEFAULT_LOCAL_QUERIES;
  const pollEveryMs = options.pollEveryMs ?? 50;
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const config = loadConfig();
  const dataDir = mkdtempSync(join(tmpdir(), 'athena-wlm-bench-local-'));
  const startupBegan = performance.now();
  const runtime = await startLocalRuntime({
    dataDir,
    port: 0,
    config,
    sampleData: LOCAL_SAMPLE,
    retryPauseMs: 0,
  });
  const startupMs = performance.now() - startupBegan;
  try {
    const classes = Array.from({ length: n }, (_, i) => MIX[i % MIX.length]);
    const began = performance.now();
    const submitted = await Promise.all(
      classes.map(async (className, i) => {
        const sent = performance.now();
        const query = (i + 1) % BAD_SQL_EVERY === 0 ? BAD_SQL : QUERIES[className];
        const answer = await json<{ queryId: string }>(
          await fetch(`${runtime.url}/workgroups/${className}/queries`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query, userId: `bench-${i}` }),
          }),
          `POST /workgroups/${className}/queries`,
        );
        return { queryId: answer.queryId, className, submitMs: performance.now() - sent };
      }),
    );
    const submitPhaseMs = performance.now() - began;

    // Followed in the ledger, in-process: polling over HTTP would take CPU from the burst it measures.
    const views = new Map<string, QueryView>();
    const deadline = began + timeoutMs;
    while (views.size < submitted.length) {
      if (performance.now() > deadline) {
        throw new Error(`${submitted.length - views.size} queries not finished after ${timeoutMs} ms`);
      }
      for (const { queryId } of submitted) {
        if (views.has(queryId)) continue;
        const record = await runtime.ledger.get(queryId);
        if (record && isTerminal(record.status)) views.set(queryId, toQueryView(record, new Date()));
      }
      if (views.size < submitted.length) await sleep(pollEveryMs);
    }
    const wallMs = performance.now() - began;
    const all = [...views.values()];
    const firstSubmitted = Math.min(...all.map((v) => Date.parse(v.submittedAt)));
    const lastFinished = Math.max(...all.map((v) => Date.parse(v.finishedAt ?? v.updatedAt)));
    const cores = cpus().length;

    return {
      queries: submitted.map(({ queryId, className, submitMs }) => {
        const view = views.get(queryId) as QueryView;
        return {
          queryId,
          className,
          status: view.status,
          elapsedMs: view.elapsedMs,
          queueWaitMs: view.queueWaitMs ?? 0,
          athenaQueueTimeMs: view.athenaQueueTimeMs ?? 0,
          engineTimeMs: view.engineTimeMs ?? 0,
          submitMs,
        };
      }),
      startupMs,
      wallMs,
      submitPhaseMs,
      config: 'the defaults as parsed by `loadConfig()` (the local Athena quota 20, capacity 18)',
      pollEveryMs,
      drainMs: lastFinished - firstSubmitted,
      engineWorkMs: all.reduce((sum, v) => sum + (v.engineTimeMs ?? 0), 0) / cores,
      cores,
    };
  } finally {
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const ms = (x: number) => (x < 1000 ? `${Math.round(x)} ms` : duration(x / 1000));

function stats(values: readonly number[]): { p50: number; p95: number; max: number; mean: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1),
  };
}

/** Time the pipeline adds besides the slot wait and Athena: starter, Step Functions, ledger, polling of `.sync`. */
const overheadOf = (q: LocalQueryFigures) =>
  Math.max(0, q.elapsedMs - q.queueWaitMs - q.athenaQueueTimeMs - q.engineTimeMs);

/** The "Local pipeline" section of RESULTS.md (without its markers). */
export function localPipelineSection(result: LocalPipelineResult, command: string, machine: string): string {
  const qs = result.queries;
  const succeeded = qs.filter((q) => q.status === 'SUCCEEDED');
  const byStatus = new Map<string, number>();
  for (const q of qs) byStatus.set(q.status, (byStatus.get(q.status) ?? 0) + 1);
  const row = (label: string, values: readonly number[]) => {
    const s = stats(values);
    return `| ${label} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.max)} | ${ms(s.mean)} |`;
  };
  const classes = [...new Set(qs.map((q) => q.className))];
  const classRows = classes.map((name) => {
    const of = succeeded.filter((q) => q.className === name);
    const e = stats(of.map((q) => q.elapsedMs));
    const w = stats(of.map((q) => q.queueWaitMs));
    const g = stats(of.map((q) => q.engineTimeMs));
    return `| ${name} | ${of.length} | ${ms(e.p50)} / ${ms(e.p95)} | ${ms(w.p50)} / ${ms(w.p95)} | ${ms(g.p50)} |`;
  });
  const sum = (f: (q: LocalQueryFigures) => number) => succeeded.reduce((a, q) => a + f(q), 0);
  const total = sum((q) => q.elapsedMs) || 1;
  const share = (f: (q: LocalQueryFigures) => number) => `${Math.round((sum(f) / total) * 100)}%`;
  return [
    '## Local pipeline',
    '',
    `Produced by \`${command}\` on ${new Date().toISOString().slice(0, 10)}. ${machine}`,
    '',
    'The real local runtime (`startLocalRuntime`, local/runtime.ts) on a loopback port with a temp data dir:',
    'HTTP API -> SQLite queue -> starter -> run-query.asl.json on aws-local-stepfunctions, waiting in its',
    "class's line for the dispatcher -> DuckDB Athena -> ledger. Config: " +
      `${result.config}; sample tables ${LOCAL_SAMPLE.albLogLines.toLocaleString('en-US')} ALB log lines and ` +
      `${LOCAL_SAMPLE.sensorReadings.toLocaleString('en-US')} sensor readings; retry pauses 0 ms. ` +
      `${qs.length} queries (mix per 10: ${MIX.join(', ')}; one in ${BAD_SQL_EVERY} with bad SQL) were POSTed at once to ` +
      `\`/workgroups/{class}/queries\` and followed in the ledger to the end.`,
    '',
    `- Outcome: ${[...byStatus].map(([s, c]) => `${c} ${s}`).join(', ')}.`,
    `- Startup (runtime and sample data): ${ms(result.startupMs)}; all ${qs.length} POSTs answered in ` +
      `${ms(result.submitPhaseMs)} (p50 round trip ${ms(stats(qs.map((q) => q.submitMs)).p50)}).`,
    `- End to end: ${qs.length} queries from the first POST to the last seen finished in ${ms(result.wallMs)}: ` +
      `**${(qs.length / (result.wallMs / 1000)).toFixed(2)} queries/s**.`,
    `- **Drain: ${ms(result.drainMs)} from the first submission to the last end; the engine's own work is ` +
      `${ms(result.engineWorkMs)} (sum of engine times ${ms(result.engineWorkMs * result.cores)} over ${result.cores} cores): ` +
      `${(result.drainMs / result.engineWorkMs).toFixed(2)}x (target 1.5x).**`,
    `- Where the time of the succeeded queries went (sum over queries): waiting for a slot ${share((q) => q.queueWaitMs)}, ` +
      `Athena queue ${share((q) => q.athenaQueueTimeMs)}, engine ${share((q) => q.engineTimeMs)}, ` +
      `the rest (state machine, ledger, \`.sync\` polling) ${share(overheadOf)}.`,
    '',
    'Per query, submit to SUCCEEDED (ledger times, so no polling delay):',
    '',
    '| | p50 | p95 | max | mean |',
    '|---|---:|---:|---:|---:|',
    row(
      'Latency (submitted to finished)',
      succeeded.map((q) => q.elapsedMs),
    ),
    row(
      'Queue wait (submitted to run start)',
      succeeded.map((q) => q.queueWaitMs),
    ),
    row(
      'Athena queue time',
      succeeded.map((q) => q.athenaQueueTimeMs),
    ),
    row(
      'Engine time',
      succeeded.map((q) => q.engineTimeMs),
    ),
    row('The rest (pipeline overhead)', succeeded.map(overheadOf)),
    '',
    '| Class | Succeeded | Latency p50 / p95 | Queue wait p50 / p95 | Engine p50 |',
    '|---|---:|---:|---:|---:|',
    ...classRows,
    '',
    `One run on one machine, not a simulation: figures move by tens of percent between runs. DuckDB on small`,
    `tables (engine p50 ${ms(stats(succeeded.map((q) => q.engineTimeMs)).p50)}) makes this a measure of the pipeline's own cost and`,
    'of its admission, not of Athena. All queries arrive at once, so most wait in their lines: a slot given',
    'back wakes the dispatcher, which starts the next query at once (nothing polls).',
  ].join('\n');
}
