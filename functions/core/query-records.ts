import type { QueryRecord } from './query-record';
import { DEFAULT_CATALOG, DEFAULT_DATABASE } from './run-query-input';
import type { QueryMessage, SubmissionBody } from './submission';

/** The ledger record of a new submission, QUEUED. */
export function newQueryRecord(
  message: QueryMessage & { body: SubmissionBody; submittedAt: number },
  now: Date,
): QueryRecord {
  const { body } = message;
  return {
    queryId: message.queryId,
    workgroup: message.workgroup,
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
    stored.workgroup === fresh.workgroup &&
    stored.query === fresh.query &&
    stored.database === fresh.database &&
    stored.catalog === fresh.catalog &&
    JSON.stringify(stored.executionParameters ?? []) === JSON.stringify(fresh.executionParameters ?? [])
  );
}
