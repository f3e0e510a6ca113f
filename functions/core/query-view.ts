import { isTerminal } from '../../contracts/query-status';
import type { QueryRecord } from './query-record';

/** A query as `GET /queries/{queryId}` shows it: the ledger record plus the durations users ask about. */
export type QueryView = QueryRecord & {
  /** The class under its first name, for clients written before `className`. */
  readonly workgroup: string;
  /** Time from submission to the start of the (latest) run; so far, while the query still waits. */
  readonly queueWaitMs?: number;
  /** Time from submission to the end, or to now while the query is not finished. */
  readonly elapsedMs: number;
  /** Whether the status can still change. */
  readonly finished: boolean;
  /** While WAITING_FOR_SLOT: queries of its class ahead of it in line. */
  readonly queriesAhead?: number;
};

/** A list entry: like the view, with the SQL cut short so a page of 100 stays small. */
export type QuerySummary = Omit<QueryView, 'query'> & {
  readonly query: string;
  readonly queryTruncated?: true;
};

/** Longest SQL text a list entry carries; `GET /queries/{queryId}` has the whole text. */
export const SUMMARY_QUERY_CHARS = 1000;

const WAITING = new Set(['QUEUED', 'WAITING_FOR_SLOT', 'DEFERRED']);

/** The public view of a record at `now`: every stored field, plus queue wait and elapsed time. */
export function toQueryView(record: QueryRecord, now: Date): QueryView {
  const submitted = Date.parse(record.submittedAt);
  const finished = isTerminal(record.status);
  const end = finished && record.finishedAt ? Date.parse(record.finishedAt) : now.getTime();
  let queueWaitMs: number | undefined;
  if (record.startedAt && !WAITING.has(record.status)) {
    queueWaitMs = Date.parse(record.startedAt) - submitted;
  } else if (WAITING.has(record.status) || (finished && !record.startedAt)) {
    queueWaitMs = end - submitted;
  }
  return {
    ...record,
    workgroup: record.className,
    ...(queueWaitMs !== undefined && Number.isFinite(queueWaitMs)
      ? { queueWaitMs: Math.max(0, queueWaitMs) }
      : {}),
    elapsedMs: Math.max(0, end - submitted),
    finished,
  };
}

/** The list form of a record: the view with at most SUMMARY_QUERY_CHARS of SQL. */
export function toQuerySummary(record: QueryRecord, now: Date): QuerySummary {
  const view = toQueryView(record, now);
  if (view.query.length <= SUMMARY_QUERY_CHARS) return view;
  return { ...view, query: `${view.query.slice(0, SUMMARY_QUERY_CHARS)}…`, queryTruncated: true };
}
