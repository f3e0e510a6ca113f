import type { z } from 'zod';
import type { WlmConfig } from '../../contracts/config';
import { limitWithBuffer, workgroupNameOf } from '../../contracts/config';
import { listParams, resultsParams } from '../../contracts/query-params';
import { QUERY_ID_PATTERN } from '../../contracts/submission';
import { type AccessConfig, type Caller, mayAccess, visibilityOf } from './access';
import { admissionPolicy } from './admission-policy';
import { CancelConflictError, type CancelQueryDeps, cancelQuery } from './cancel-query';
import { usageOf } from './dispatch-policy';
import {
  type Clock,
  type DispatchStore,
  InvalidPageTokenError,
  type Ledger,
  type LedgerQueries,
  type QueryResultsReader,
  ResultsUnavailableError,
} from './ports';
import { toQuerySummary, toQueryView } from './query-view';

/**
 * The read, cancel and list routes as plain functions from request values to a status and a JSON body:
 * the Lambda handlers and the local server both answer through these, so the contract is written once.
 */
export interface ApiResponse {
  readonly statusCode: number;
  readonly body: object;
}

/** Query-string values as both API Gateway and node's URLSearchParams give them. */
export type QueryStringValues = Readonly<Record<string, string | undefined>>;

const queryIdRegex = new RegExp(QUERY_ID_PATTERN);

/** 400 with a message that names the field. */
export function badRequest(field: string, problem: string): ApiResponse {
  return { statusCode: 400, body: { message: `${field}: ${problem}`, field } };
}

/** 404 for an unknown query id, with the likely cause. */
export function queryNotFound(queryId: string): ApiResponse {
  return {
    statusCode: 404,
    body: {
      message: `No query with id ${queryId}. A query submitted seconds ago may still be in the intake queue; try again shortly.`,
      queryId,
    },
  };
}

/** A 400 when the path's queryId cannot be a query id, else undefined. */
export function checkQueryId(queryId: string | undefined): ApiResponse | undefined {
  if (!queryId) return badRequest('queryId', 'the path needs a query id: /queries/{queryId}');
  if (!queryIdRegex.test(queryId)) {
    return badRequest(
      'queryId',
      `'${queryId.slice(0, 100)}' is not a query id (1 to 64 letters, digits, - or _, starting with a letter or digit)`,
    );
  }
  return undefined;
}

/** Most queries ahead that `GET /queries/{queryId}` counts (a Query of the line, not a scan). */
export const AHEAD_COUNT_LIMIT = 1000;

/**
 * `GET /queries/{queryId}`; a query waiting for a slot says why now and how many are ahead of it. A
 * query the caller may not see is a 404, as one that does not exist.
 */
export async function getQueryApi(
  queryId: string | undefined,
  caller: Caller,
  deps: {
    readonly config: AccessConfig;
    readonly ledger: Ledger;
    readonly clock: Clock;
    readonly line?: Pick<DispatchStore, 'waitStatus' | 'ahead'>;
  },
): Promise<ApiResponse> {
  const invalid = checkQueryId(queryId);
  if (invalid || !queryId) return invalid ?? badRequest('queryId', 'missing');
  const record = await deps.ledger.get(queryId);
  if (!record || !mayAccess(record, caller, deps.config)) return queryNotFound(queryId);
  const view = toQueryView(record, deps.clock());
  if (record.status !== 'WAITING_FOR_SLOT' || !deps.line) return { statusCode: 200, body: view };
  const [statuses, ahead] = await Promise.all([
    deps.line.waitStatus(),
    deps.line.ahead(
      { queryId, className: record.className, submittedAt: record.submittedAt },
      AHEAD_COUNT_LIMIT,
    ),
  ]);
  const why = statuses[record.className]?.message ?? record.reason ?? 'waiting for a slot';
  const count =
    ahead >= AHEAD_COUNT_LIMIT
      ? `${AHEAD_COUNT_LIMIT} or more queries`
      : ahead === 1
        ? '1 query'
        : `${ahead} queries`;
  return {
    statusCode: 200,
    body: { ...view, reason: ahead > 0 ? `${why}; ${count} ahead of this one` : why, queriesAhead: ahead },
  };
}

/** `GET /queries/{queryId}/results?maxResults=&nextToken=`. */
export async function getResultsApi(
  queryId: string | undefined,
  params: QueryStringValues,
  caller: Caller,
  deps: { readonly config: AccessConfig; readonly ledger: Ledger; readonly results: QueryResultsReader },
): Promise<ApiResponse> {
  const invalid = checkQueryId(queryId);
  if (invalid || !queryId) return invalid ?? badRequest('queryId', 'missing');
  const parsed = parseParams(resultsParams, params);
  if ('statusCode' in parsed) return parsed;
  const record = await deps.ledger.get(queryId);
  if (!record || !mayAccess(record, caller, deps.config)) return queryNotFound(queryId);
  if (record.status !== 'SUCCEEDED') {
    const why = record.reason ? ` ${record.reason}` : '';
    const next =
      record.status === 'FAILED' || record.status === 'CANCELLED'
        ? ' It has no results; submit it again if you still need them.'
        : ' Ask again when its status is SUCCEEDED.';
    return {
      statusCode: 409,
      body: {
        message: `Query ${queryId} is ${record.status}, not SUCCEEDED, so it has no results to read.${why}${next}`,
        queryId,
        status: record.status,
        ...(record.reason ? { reason: record.reason } : {}),
      },
    };
  }
  try {
    const page = await deps.results.page(record, parsed);
    return { statusCode: 200, body: { queryId, ...page } };
  } catch (error) {
    if (error instanceof ResultsUnavailableError) {
      return { statusCode: 410, body: { message: error.message, queryId, status: record.status } };
    }
    if (error instanceof InvalidPageTokenError) return badRequest('nextToken', error.message);
    throw error;
  }
}

/** `DELETE /queries/{queryId}`: cancels wherever the query is; 409 when it already ended. */
export async function cancelQueryApi(
  queryId: string | undefined,
  caller: Caller,
  deps: CancelQueryDeps & { readonly config: AccessConfig },
): Promise<ApiResponse> {
  const invalid = checkQueryId(queryId);
  if (invalid || !queryId) return invalid ?? badRequest('queryId', 'missing');
  let outcome: Awaited<ReturnType<typeof cancelQuery>>;
  try {
    outcome = await cancelQuery(queryId, caller.principal, deps, (record) =>
      mayAccess(record, caller, deps.config),
    );
  } catch (error) {
    if (error instanceof CancelConflictError)
      return { statusCode: 409, body: { message: error.message, queryId } };
    throw error;
  }
  if (outcome.kind === 'not-found') return queryNotFound(queryId);
  if (outcome.kind === 'finished') {
    const { status, finishedAt } = outcome.record;
    return {
      statusCode: 409,
      body: {
        message: `Query ${queryId} already ${status}${finishedAt ? ` at ${finishedAt}` : ''}, nothing to cancel.`,
        queryId,
        status,
      },
    };
  }
  return {
    statusCode: 200,
    body: {
      ...toQueryView(outcome.record, deps.clock()),
      previousStatus: outcome.previousStatus,
      ...(outcome.stopError
        ? {
            note: `The query is cancelled, but its execution could not be stopped yet (${outcome.stopError}); the slot reconciler stops it within a minute.`,
          }
        : {}),
    },
  };
}

/** `GET /queries?className=&status=&userId=&limit=&nextToken=`: newest first, paged; only what the caller may see. */
export async function listQueriesApi(
  params: QueryStringValues,
  caller: Caller,
  deps: { readonly config: WlmConfig; readonly ledger: LedgerQueries; readonly clock: Clock },
): Promise<ApiResponse> {
  const parsed = parseParams(listParams(deps.config), params);
  if ('statusCode' in parsed) return parsed;
  const { workgroup, className = workgroup, ...filter } = parsed;
  if (workgroup !== undefined && workgroup !== className) {
    return badRequest('workgroup', 'is the first name of className; give one of the two');
  }
  const visibleTo = visibilityOf(caller, deps.config);
  try {
    const page = await deps.ledger.list({
      ...filter,
      ...(className ? { className } : {}),
      ...(visibleTo ? { visibleTo } : {}),
    });
    const now = deps.clock();
    return {
      statusCode: 200,
      body: {
        items: page.items.map((r) => toQuerySummary(r, now)),
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
      },
    };
  } catch (error) {
    if (error instanceof InvalidPageTokenError) return badRequest('nextToken', error.message);
    throw error;
  }
}

/** How far back `GET /workgroups` counts queued and waiting queries: SQS keeps a message 14 days at most. */
export const WAITING_LOOKBACK_MS = 14 * 24 * 60 * 60 * 1000;

/** `GET /workgroups`: each class with its limits, slots in use, and queued and waiting counts. */
export async function listWorkgroupsApi(deps: {
  readonly config: WlmConfig;
  readonly slots: Pick<DispatchStore, 'holders'>;
  readonly ledger: LedgerQueries;
  readonly clock: Clock;
  readonly liveQuota?: () => Promise<number>;
}): Promise<ApiResponse> {
  const { config } = deps;
  const now = deps.clock();
  const since = new Date(now.getTime() - WAITING_LOOKBACK_MS).toISOString();
  const [holders, quota] = await Promise.all([deps.slots.holders(), quotaOrUndefined(deps)]);
  const usage = usageOf(holders);
  let policy: ReturnType<typeof admissionPolicy> | undefined;
  try {
    policy = admissionPolicy(config, quota);
  } catch {
    policy = undefined; // the live quota could not be read: limits are shown as configured
  }
  const classes = await Promise.all(
    Object.entries(config.classes).map(async ([name, c]) => {
      const counts = await deps.ledger.countByStatus(name, ['QUEUED', 'WAITING_FOR_SLOT', 'DEFERRED'], since);
      return {
        name,
        description: c.description,
        athenaWorkGroup: workgroupNameOf(config, name),
        guaranteedSlots: policy?.classes[name]?.guaranteedSlots ?? c.guaranteedSlots,
        maxSlots: policy?.classes[name]?.maxSlots ?? c.maxSlots,
        slotsInUse: usage[name] ?? 0,
        queued: counts.QUEUED ?? 0,
        waitingForSlot: counts.WAITING_FOR_SLOT ?? 0,
        deferred: counts.DEFERRED ?? 0,
        timeoutMinutes: c.timeoutMinutes,
        ...(c.bytesScannedCutoffPerQuery ? { bytesScannedCutoffPerQuery: c.bytesScannedCutoffPerQuery } : {}),
        ...(c.hourlyDataLimit ? { hourlyDataLimitBytes: limitWithBuffer(c.hourlyDataLimit) } : {}),
        ...(c.dailyDataLimit ? { dailyDataLimitBytes: limitWithBuffer(c.dailyDataLimit) } : {}),
      };
    }),
  );
  return {
    statusCode: 200,
    body: {
      ...(quota !== undefined ? { quota } : {}),
      headroom: config.quota.headroom,
      ...(policy ? { capacity: policy.capacity } : {}),
      slotsInUse: holders.length,
      defaultClass: config.defaultClass,
      classes,
    },
  };
}

async function quotaOrUndefined(deps: {
  readonly config: WlmConfig;
  readonly liveQuota?: () => Promise<number>;
}): Promise<number | undefined> {
  if (typeof deps.config.quota.activeDmlQueries === 'number') return deps.config.quota.activeDmlQueries;
  try {
    return await deps.liveQuota?.();
  } catch {
    return undefined;
  }
}

function parseParams<T extends z.ZodType>(schema: T, params: QueryStringValues): z.output<T> | ApiResponse {
  const present = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  return badRequest(issue.path.map(String).join('.') || 'query', issue.message);
}
