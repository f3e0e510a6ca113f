import type { QueryMessageInput } from '../../contracts/submission';
import type { DynamoDbLedger } from '../../functions/adapters/aws/dynamodb-ledger';
import { isConditionalCheckFailed } from '../../functions/adapters/aws/dynamodb-ledger';
import { fromLedgerItem, type LedgerItem } from '../../functions/adapters/ledger-item';
import type { SubmissionStore } from '../../functions/core/ports';
import type { QueryRecord } from '../../functions/core/query-record';
import type { LocalDocumentClient } from '../dynamodb/local-document-client';
import type { Database } from './database';
import { GroupCommit } from './group-commit';
import type { SqliteQueue } from './sqlite-queue';

export interface LocalSubmissionsProps {
  /** The database of both the local DynamoDB and the `queries` queue. */
  readonly db: Database;
  /** The local DynamoDB's DocumentClient, which the ledger's commands are sent to. */
  readonly client: LocalDocumentClient;
  readonly ledger: DynamoDbLedger;
  readonly queries: SqliteQueue;
  /** Called after a submission is stored (to wake the starter). @default nothing */
  readonly onAdmitted?: () => void;
}

/**
 * New submissions: the ledger's own conditional put of the record and the `queries` message in one
 * SQLite transaction (the local DynamoDB and the queue share the database), so the edge can refuse a
 * used queryId (409) before anything is queued, and a crash keeps both or neither. The submissions of
 * one turn of the event loop share a commit (each in its own savepoint), and each is answered only
 * once it has committed.
 */
export class LocalSubmissions implements SubmissionStore {
  private readonly commits: GroupCommit;

  constructor(private readonly props: LocalSubmissionsProps) {
    this.commits = new GroupCommit(props.db);
  }

  async admit(
    record: QueryRecord,
    message: QueryMessageInput,
  ): Promise<{ readonly created: boolean; readonly record: QueryRecord }> {
    // Serialized before the write lock is taken, which the batch holds for as short as it can.
    const body = JSON.stringify(message);
    const stored = await this.commits.run(() => this.store(record, body));
    if (stored.created) this.props.onAdmitted?.();
    return stored;
  }

  /** The record and its message (`body`, serialized), for a caller that holds the transaction. */
  private store(
    record: QueryRecord,
    body: string,
  ): { readonly created: boolean; readonly record: QueryRecord } {
    const { client, ledger, queries } = this.props;
    try {
      client.sendSync(ledger.createCommand(record));
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return {
        created: false,
        record: fromLedgerItem(client.sendSync(ledger.getCommand(record.queryId)).Item as LedgerItem),
      };
    }
    queries.send(body);
    return { created: true, record };
  }
}
