import { createHash } from 'node:crypto';

/** Separates a query id from its redrive count in an execution name; query ids never hold it. */
export const REDRIVE_SEPARATOR = '__r';

/**
 * Execution name for a query's Nth attempt: the queryId itself, then `<queryId>__r<N-1>` after each
 * redrive. Names are unique per state machine for 90 days, which makes StartExecution idempotent. Only
 * 0-9 A-Z a-z - and _ are used: Step Functions (StartExecution, `name`) documents that other characters
 * can keep an execution's events out of CloudWatch Logs, which the seed metrics are counted from.
 */
export function executionName(queryId: string, attempt: number): string {
  return attempt <= 1 ? queryId : `${queryId}${REDRIVE_SEPARATOR}${attempt - 1}`;
}

/** The query and attempt an execution name stands for (`<queryId>` or `<queryId>__r<N>`). */
export function parseExecutionName(name: string): { readonly queryId: string; readonly attempt: number } {
  const match = /^(.+)__r(\d+)$/.exec(name);
  return match ? { queryId: match[1], attempt: Number(match[2]) + 1 } : { queryId: name, attempt: 1 };
}

/**
 * Athena ClientRequestToken (32 to 128 chars) for a query's Nth attempt: retries within an attempt
 * reuse it, so Athena returns the same QueryExecutionId instead of starting a second run.
 */
export function clientRequestToken(queryId: string, attempt: number): string {
  return createHash('sha256').update(`athena-wlm:${queryId}:${attempt}`).digest('hex');
}
