import { createHash } from 'node:crypto';

/**
 * Execution name for a query's Nth attempt: the queryId itself, then `<queryId>.r<N-1>` after each
 * redrive. Names are unique per state machine for 90 days, which makes StartExecution idempotent.
 */
export function executionName(queryId: string, attempt: number): string {
  return attempt <= 1 ? queryId : `${queryId}.r${attempt - 1}`;
}

/**
 * Athena ClientRequestToken (32 to 128 chars) for a query's Nth attempt: retries within an attempt
 * reuse it, so Athena returns the same QueryExecutionId instead of starting a second run.
 */
export function clientRequestToken(queryId: string, attempt: number): string {
  return createHash('sha256').update(`athena-wlm:${queryId}:${attempt}`).digest('hex');
}
