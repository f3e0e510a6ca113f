import { DEFAULT_CATALOG, DEFAULT_DATABASE } from '../../contracts/execution-input';
import type { QueryStatus } from '../../contracts/query-status';
import type { QueryMessage, SubmissionBody } from '../../contracts/submission';

/** An error as the user sees it: a stable code and a message that says what happened. */
export interface QueryError {
  readonly code: string;
  readonly message: string;
}

/** One query in the ledger (DynamoDB on AWS, SQLite locally). Times are ISO-8601 strings. */
export interface QueryRecord {
  readonly queryId: string;
  /** The workload class the query was submitted to. */
  readonly className: string;
  readonly query: string;
  readonly database: string;
  readonly catalog: string;
  readonly executionParameters?: readonly string[];
  /** The label the client gave (the reference sample sends one), if any. */
  readonly userId?: string;
  /** The authenticated principal that submitted the query (IAM ARN on AWS). */
  readonly submittedBy?: string;
  readonly submittedAt: string;
  readonly status: QueryStatus;
  /** Why the query is waiting, deferred, failed or cancelled, in words a user understands. */
  readonly reason?: string;
  /** Executions started for this query (1 for the first run, +1 per redrive). */
  readonly attempts: number;
  readonly redrives: number;
  /** Times the query was stopped to give a lender its guaranteed slot back, and run again. */
  readonly preemptions?: number;
  readonly executionArn?: string;
  readonly athenaQueryExecutionId?: string;
  readonly athenaWorkGroup?: string;
  readonly dataScannedBytes?: number;
  /** Athena's own queue time (inside the service), in ms. */
  readonly athenaQueueTimeMs?: number;
  readonly engineTimeMs?: number;
  readonly totalTimeMs?: number;
  readonly outputLocation?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly updatedAt: string;
  readonly error?: QueryError;
  readonly cancelledBy?: string;
}

/** The ledger record of a new submission, QUEUED. */
export function newQueryRecord(
  message: QueryMessage & { body: SubmissionBody; submittedAt: number },
  now: Date,
): QueryRecord {
  const { body } = message;
  return {
    queryId: message.queryId,
    className: message.className,
    query: body.query,
    database: body.database ?? DEFAULT_DATABASE,
    catalog: body.catalog ?? DEFAULT_CATALOG,
    ...(body.executionParameters ? { executionParameters: body.executionParameters } : {}),
    ...(body.userId ? { userId: body.userId } : {}),
    ...(message.submittedBy ? { submittedBy: message.submittedBy } : {}),
    submittedAt: new Date(message.submittedAt).toISOString(),
    status: 'QUEUED',
    attempts: 0,
    redrives: 0,
    updatedAt: now.toISOString(),
  };
}

/**
 * Whether a stored record is the same submission as a new one (a retried POST), not a reuse of its id:
 * the same SQL in the same class, from the same submitter.
 */
export function isSameSubmission(stored: QueryRecord, fresh: QueryRecord): boolean {
  return (
    (stored.submittedBy ?? '') === (fresh.submittedBy ?? '') &&
    stored.className === fresh.className &&
    stored.query === fresh.query &&
    stored.database === fresh.database &&
    stored.catalog === fresh.catalog &&
    JSON.stringify(stored.executionParameters ?? []) === JSON.stringify(fresh.executionParameters ?? [])
  );
}
