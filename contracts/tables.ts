/** DynamoDB key and index names of the ledger and dispatch tables (the stack, the adapters, the local engine). */
export const TABLES = {
  ledgerKey: 'queryId',
  /** GSI: queries of a class, newest first (partition workgroup, sort submittedAt). */
  ledgerByWorkgroupIndex: 'byWorkgroup',
  ledgerByWorkgroupPartitionKey: 'workgroup',
  ledgerByWorkgroupSortKey: 'submittedAt',
  /** The dispatch table: lines (`line#<class>`), slots held (`held`), wait statuses (`status`). */
  dispatchPartitionKey: 'pk',
  dispatchSortKey: 'sk',
  /** Epoch seconds after which DynamoDB's TTL removes a line item whose leave message was lost. */
  dispatchTtl: 'expiresAt',
} as const;
