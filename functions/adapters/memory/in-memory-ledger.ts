import { conditionOf, type Ledger, type LedgerCondition } from '../../core/ports';
import type { QueryRecord } from '../../core/query-record';

/** The ledger in a map: for the simulator and tests. `clock` stamps updatedAt. */
export class InMemoryLedger implements Ledger {
  readonly records = new Map<string, QueryRecord>();

  constructor(private readonly clock: () => Date = () => new Date()) {}

  async get(queryId: string) {
    return this.records.get(queryId);
  }

  async create(record: QueryRecord) {
    const existing = this.records.get(record.queryId);
    if (existing) return { created: false, record: existing };
    this.records.set(record.queryId, record);
    return { created: true, record };
  }

  async update(queryId: string, patch: Partial<QueryRecord>, onlyIf?: LedgerCondition) {
    const existing = this.records.get(queryId);
    const expected = onlyIf && conditionOf(onlyIf);
    if (!existing || (expected && !expected.statuses.includes(existing.status))) return false;
    if (expected?.executionArn && existing.executionArn !== expected.executionArn) return false;
    // As the DynamoDB adapter's update: an undefined field is not given, the key and updatedAt are not patched.
    const given = Object.entries(patch).filter(
      ([field, value]) => value !== undefined && field !== 'queryId' && field !== 'updatedAt',
    );
    this.records.set(queryId, {
      ...existing,
      ...Object.fromEntries(given),
      updatedAt: this.clock().toISOString(),
    });
    return true;
  }
}
