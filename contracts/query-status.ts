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
