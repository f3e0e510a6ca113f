import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseExecutionName } from '../../contracts/execution-naming';
import { type RunQueryTuning, runQueryDefinition } from '../../state-machines/run-query';
import type { RouteResponse, Router } from '../http/router';
import { type ConsoleHistoryEvent, causeText, epochMs, executionPath, historyRows } from './execution-path';
import { stateGraphOf } from './state-graph';

type Awaitable<T> = T | Promise<T>;

/** An execution of run-query as the runtime reports it (ListExecutions / DescribeExecution). */
export interface ConsoleExecution {
  readonly executionArn: string;
  /** `<queryId>` for a first run, `<queryId>__r<N>` after the Nth redrive. */
  readonly name: string;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED. */
  readonly status: string;
  readonly startDate: Date | string | number;
  readonly stopDate?: Date | string | number;
  /** The execution's input, as JSON text or a value: the class and `attempt` are read from it. */
  readonly input?: unknown;
  readonly error?: string;
  readonly cause?: unknown;
}

/** One minute of a metric: its start and the sum of the values recorded in it. */
export interface ConsoleMetricPoint {
  readonly minute: string;
  readonly sum: number;
}

/** Active queries on the account against its quota. */
export interface AccountQuotaUse {
  /** Queries Athena counts against the quota now (running + queued). */
  readonly activeQueries: number;
  /** The account's active DML query quota, when known. */
  readonly quota?: number;
  /** Slots athena-wlm leaves to other users of the account. */
  readonly headroom?: number;
}

/** What the console needs from the runtime, as plain functions. */
export interface ConsoleDeps {
  /** run-query executions, newest first, at most `limit`. */
  readonly listExecutions: (limit: number) => Awaitable<readonly ConsoleExecution[]>;
  /** One execution, or undefined (or an ExecutionDoesNotExist error) when there is none. */
  readonly describeExecution: (executionArn: string) => Awaitable<ConsoleExecution | undefined>;
  /** The execution's event log, oldest first. */
  readonly executionHistory: (executionArn: string) => Awaitable<readonly ConsoleHistoryEvent[]>;
  /** A metric per minute over the last `minutes` minutes, oldest first, every dimension summed. */
  readonly metricSeries: (
    name: ConsoleMetricName,
    minutes: number,
  ) => Awaitable<readonly ConsoleMetricPoint[]>;
  readonly accountQuota: () => Awaitable<AccountQuotaUse>;
  /** The config's retry and timeout settings, so the drawn machine is the one that runs. @default the file as written */
  readonly stateMachineTuning?: RunQueryTuning;
  /** @default the system clock */
  readonly clock?: () => Date;
}

/** The reference sample's three metrics, with what each counts. */
export const CONSOLE_METRICS = {
  StartQueryCount: 'Athena runs actually started',
  ThrottlingErrorCount: 'TooManyRequests answers from Athena',
  RestartQueryCount: 'Deferred queries re-driven',
} as const;
export type ConsoleMetricName = keyof typeof CONSOLE_METRICS;

export const DEFAULT_EXECUTIONS_LIMIT = 50;
export const MAX_EXECUTIONS_LIMIT = 1000;
export const DEFAULT_METRIC_MINUTES = 30;
export const MAX_METRIC_MINUTES = 24 * 60;

const STATIC_DIR = join(__dirname, 'static');

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** An execution as the console lists it. */
export interface ExecutionSummary {
  readonly executionArn: string;
  readonly name: string;
  readonly queryId: string;
  readonly attempt: number;
  readonly className?: string;
  readonly status: string;
  readonly startDate: string;
  readonly stopDate?: string;
  readonly durationMs?: number;
  readonly error?: string;
  readonly cause?: string;
}

function inputOf(input: unknown): Record<string, unknown> | undefined {
  let value = input;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

const iso = (value: Date | string | number) => {
  const ms = epochMs(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(value);
};

export function toExecutionSummary(execution: ConsoleExecution, now: Date): ExecutionSummary {
  const fromName = parseExecutionName(execution.name);
  const input = inputOf(execution.input);
  const attempt = typeof input?.attempt === 'number' ? input.attempt : fromName.attempt;
  const queryId = typeof input?.queryId === 'string' ? input.queryId : fromName.queryId;
  // Executions started before the class was called className hold it as `workgroup`.
  const className = input?.className ?? input?.workgroup;
  const start = epochMs(execution.startDate);
  const stop = execution.stopDate === undefined ? now.getTime() : epochMs(execution.stopDate);
  const cause = causeText(execution.cause);
  return {
    executionArn: execution.executionArn,
    name: execution.name,
    queryId,
    attempt,
    ...(typeof className === 'string' ? { className } : {}),
    status: execution.status,
    startDate: iso(execution.startDate),
    ...(execution.stopDate !== undefined ? { stopDate: iso(execution.stopDate) } : {}),
    ...(Number.isFinite(start) && Number.isFinite(stop) ? { durationMs: Math.max(0, stop - start) } : {}),
    ...(execution.error ? { error: execution.error } : {}),
    ...(cause ? { cause } : {}),
  };
}

const notFound = (message: string): RouteResponse => ({ statusCode: 404, body: { message } });

const badRequest = (field: string, problem: string): RouteResponse => ({
  statusCode: 400,
  body: { message: `${field}: ${problem}`, field },
});

/** A whole number within bounds from the query string, the default when absent, or a 400. */
function intParam(
  value: string | undefined,
  field: string,
  bounds: { min: number; max: number; fallback: number },
): number | RouteResponse {
  if (value === undefined || value === '') return bounds.fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < bounds.min || n > bounds.max) {
    return badRequest(field, `must be a whole number from ${bounds.min} to ${bounds.max}`);
  }
  return n;
}

function isNotFoundError(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  return /ExecutionDoesNotExist|NotFound|InvalidArn/i.test(name);
}

function staticFile(file: string, contentType: string): () => RouteResponse {
  const raw = readFileSync(join(STATIC_DIR, file));
  return () => ({ statusCode: 200, raw, headers: { 'content-type': contentType, ...SECURITY_HEADERS } });
}

/**
 * The console: the page at `/`, its script and style, and the JSON it reads under `/console/api/`
 * (executions, one execution's history and path, the state machine's shape, metrics, quota in use).
 * Workload classes and queries come from the product's own API, which the page calls as any client would.
 */
export function addConsoleRoutes(router: Router, deps: ConsoleDeps): Router {
  const clock = deps.clock ?? (() => new Date());
  const graph = stateGraphOf(runQueryDefinition(deps.stateMachineTuning));

  const describe = async (executionArn: string): Promise<ConsoleExecution | undefined> => {
    try {
      return await deps.describeExecution(executionArn);
    } catch (error) {
      if (isNotFoundError(error)) return undefined;
      throw error;
    }
  };

  return router
    .add('GET', '/', staticFile('index.html', 'text/html; charset=utf-8'))
    .add('GET', '/console/app.js', staticFile('app.js', 'text/javascript; charset=utf-8'))
    .add('GET', '/console/style.css', staticFile('style.css', 'text/css; charset=utf-8'))
    .add('GET', '/console/api/state-machine', () => ({ statusCode: 200, body: graph }))
    .add('GET', '/console/api/executions', async (request) => {
      const limit = intParam(request.query.limit, 'limit', {
        min: 1,
        max: MAX_EXECUTIONS_LIMIT,
        fallback: DEFAULT_EXECUTIONS_LIMIT,
      });
      if (typeof limit !== 'number') return limit;
      const queryId = request.query.queryId || undefined;
      const now = clock();
      const items = (await deps.listExecutions(queryId ? MAX_EXECUTIONS_LIMIT : limit))
        .map((e) => toExecutionSummary(e, now))
        .filter((e) => queryId === undefined || e.queryId === queryId)
        .sort((a, b) => b.startDate.localeCompare(a.startDate) || b.attempt - a.attempt)
        .slice(0, limit);
      return { statusCode: 200, body: { items } };
    })
    .add('GET', '/console/api/executions/{executionArn}', async (request) => {
      const { executionArn } = request.params;
      if (executionArn.length > 2048)
        return notFound('No execution with that ARN: it is too long to be one.');
      const execution = await describe(executionArn);
      if (!execution) {
        return notFound(
          `No execution ${executionArn}. An execution appears once the starter admits its query; a query still QUEUED or WAITING_FOR_SLOT has none yet.`,
        );
      }
      const events = await deps.executionHistory(executionArn);
      return {
        statusCode: 200,
        body: {
          execution: toExecutionSummary(execution, clock()),
          events: historyRows(events),
          path: executionPath(events),
        },
      };
    })
    .add('GET', '/console/api/metrics', async (request) => {
      const minutes = intParam(request.query.minutes, 'minutes', {
        min: 1,
        max: MAX_METRIC_MINUTES,
        fallback: DEFAULT_METRIC_MINUTES,
      });
      if (typeof minutes !== 'number') return minutes;
      const names = Object.keys(CONSOLE_METRICS) as ConsoleMetricName[];
      const metrics = await Promise.all(
        names.map(async (name) => {
          const points = (await deps.metricSeries(name, minutes)).map((p) => ({
            minute: p.minute,
            value: p.sum,
          }));
          return {
            name,
            description: CONSOLE_METRICS[name],
            total: points.reduce((sum, p) => sum + p.value, 0),
            points,
          };
        }),
      );
      return { statusCode: 200, body: { minutes, metrics } };
    })
    .add('GET', '/console/api/quota', async () => {
      const use = await deps.accountQuota();
      const capacity = use.quota !== undefined ? Math.max(0, use.quota - (use.headroom ?? 0)) : undefined;
      return {
        statusCode: 200,
        body: { ...use, ...(capacity !== undefined ? { capacity } : {}) },
      };
    });
}
