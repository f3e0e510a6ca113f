/** Where a query stands. DEFERRED goes back to QUEUED on redrive; the last three are terminal. */
export const QUERY_STATUSES = [
  'QUEUED',
  'WAITING_FOR_SLOT',
  'RUNNING',
  'DEFERRED',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
] as const;
export type QueryStatus = (typeof QUERY_STATUSES)[number];

export const TERMINAL_STATUSES: readonly QueryStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export function isTerminal(status: QueryStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** An error as the user sees it: a stable code and a message that says what happened. */
export interface QueryError {
  readonly code: string;
  readonly message: string;
}

/** One query in the ledger (DynamoDB on AWS, SQLite locally). Times are ISO-8601 strings. */
export interface QueryRecord {
  readonly queryId: string;
  /** The workload class the query was submitted to. */
  readonly workgroup: string;
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
