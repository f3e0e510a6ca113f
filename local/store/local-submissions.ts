import type { QueryMessageInput } from '../../contracts/submission';
import type { SubmissionStore } from '../../functions/core/ports';
import type { QueryRecord } from '../../functions/core/query-record';
import { type Database, immediate } from './database';
import type { LocalLedger } from './local-ledger';
import type { SqliteQueue } from './sqlite-queue';

/**
 * New submissions: the ledger record and the `queries` message in one SQLite transaction, so the edge
 * can refuse a used queryId (409) before anything is queued, and a crash keeps both or neither.
 */
export class LocalSubmissions implements SubmissionStore {
  constructor(
    private readonly db: Database,
    private readonly ledger: LocalLedger,
    private readonly queries: SqliteQueue,
    /** Called after a submission is stored (to wake the starter). */
    private readonly onAdmitted: () => void = () => {},
  ) {}

  async admit(
    record: QueryRecord,
    message: QueryMessageInput,
  ): Promise<{ readonly created: boolean; readonly record: QueryRecord }> {
    const stored = immediate(this.db, () => {
      const result = this.ledger.createSync(record);
      if (result.created) this.queries.send(JSON.stringify(message));
      return result;
    });
    if (stored.created) this.onAdmitted();
    return stored;
  }
}
