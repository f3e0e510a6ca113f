import type { QueryMessageInput } from '../../contracts/submission';
import type { SubmissionStore } from '../../functions/core/ports';
import type { QueryRecord } from '../../functions/core/query-record';
import type { Database } from './database';
import { GroupCommit } from './group-commit';
import type { LocalLedger } from './local-ledger';
import type { SqliteQueue } from './sqlite-queue';

/**
 * New submissions: the ledger record and the `queries` message in one SQLite transaction, so the edge
 * can refuse a used queryId (409) before anything is queued, and a crash keeps both or neither. The
 * submissions of one turn of the event loop share a commit (each in its own savepoint), and each is
 * answered only once it has committed.
 */
export class LocalSubmissions implements SubmissionStore {
  private readonly commits: GroupCommit;

  constructor(
    db: Database,
    private readonly ledger: LocalLedger,
    private readonly queries: SqliteQueue,
    /** Called after a submission is stored (to wake the starter). */
    private readonly onAdmitted: () => void = () => {},
  ) {
    this.commits = new GroupCommit(db);
  }

  async admit(
    record: QueryRecord,
    message: QueryMessageInput,
  ): Promise<{ readonly created: boolean; readonly record: QueryRecord }> {
    // Serialized before the write lock is taken, which the batch holds for as short as it can.
    const body = JSON.stringify(message);
    const stored = await this.commits.run(() => {
      const result = this.ledger.createSync(record);
      if (result.created) this.queries.send(body);
      return result;
    });
    if (stored.created) this.onAdmitted();
    return stored;
  }
}
