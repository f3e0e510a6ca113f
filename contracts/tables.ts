/** DynamoDB key and index names of the ledger and dispatch tables (the stack, the adapters, the local engine). */
export const TABLES = {
  ledgerKey: 'queryId',
  /**
   * The attribute that stores a record's class (`className` in code, messages and responses). It keeps
   * its first name, `workgroup`, because it keys the index below: renaming an index key on a live table
   * takes a new index, a backfill of every record and two deploys (UpdateTable creates or deletes one
   * GSI per call: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html),
   * and old records and data dirs must stay readable.
   */
  ledgerClassAttribute: 'workgroup',
  /** GSI: queries of a class, newest first (partition the class attribute, sort submittedAt). */
  ledgerByClassIndex: 'byWorkgroup',
  ledgerByClassSortKey: 'submittedAt',
  /** The dispatch table: lines (`line#<class>`), slots held (`held`), wait statuses (`status`). */
  dispatchPartitionKey: 'pk',
  dispatchSortKey: 'sk',
  /** Epoch seconds after which DynamoDB's TTL removes a line item whose leave message was lost. */
  dispatchTtl: 'expiresAt',
} as const;
