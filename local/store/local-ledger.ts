import { marshall } from '@aws-sdk/util-dynamodb';
import { QUERY_STATUSES, type QueryStatus } from '../../contracts/query-status';
import { TABLES } from '../../contracts/tables';
import { ledgerUpdate } from '../../functions/adapters/ledger-item';
import {
  type Clock,
  conditionOf,
  InvalidPageTokenError,
  type Ledger,
  type LedgerCondition,
  type LedgerQueries,
  type ListQueriesFilter,
  type QueryPage,
} from '../../functions/core/ports';
import type { QueryRecord } from '../../functions/core/query-record';
import { isConditionalCheckFailed } from '../dynamodb/errors';
import type { LocalDynamoDb } from '../dynamodb/local-dynamodb';
import { LOCAL_TABLES } from './local-names';

export interface LocalLedgerProps {
  /** @default LOCAL_TABLES.ledger */
  readonly tableName?: string;
  /** @default the system clock */
  readonly clock?: Clock;
}

interface PageToken {
  readonly v: 1;
  /** The filter the token was issued for. */
  readonly f: string;
  /** submittedAt and key of the last record handed out. */
  readonly s: string;
  readonly k: string;
}

/**
 * The ledger on the local DynamoDB table, one JSON document per query in the same layout the
 * DynamoDB adapter writes, so the state machine's native UpdateItem calls and this class see the
 * same records. Writes go through the UpdateItem interpreter (conditions included); listing is SQL
 * on expression indexes (workgroup, status, submittedAt), newest first, with keyset paging.
 */
export class LocalLedger implements Ledger, LedgerQueries {
  readonly tableName: string;
  private readonly clock: Clock;

  constructor(
    private readonly dynamodb: LocalDynamoDb,
    props: LocalLedgerProps = {},
  ) {
    this.tableName = props.tableName ?? LOCAL_TABLES.ledger;
    this.clock = props.clock ?? (() => new Date());
  }

  async get(queryId: string): Promise<QueryRecord | undefined> {
    return this.getSync(queryId);
  }

  getSync(queryId: string): QueryRecord | undefined {
    return this.dynamodb.getDocument(this.tableName, { [TABLES.ledgerKey]: queryId }) as
      | QueryRecord
      | undefined;
  }

  async create(record: QueryRecord): Promise<{ readonly created: boolean; readonly record: QueryRecord }> {
    return this.createSync(record);
  }

  /** `create` for callers inside a SQLite transaction. */
  createSync(record: QueryRecord): { readonly created: boolean; readonly record: QueryRecord } {
    try {
      this.dynamodb.putItemSync({
        TableName: this.tableName,
        Item: marshall(record, { removeUndefinedValues: true }),
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLES.ledgerKey },
      });
      return { created: true, record };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const stored = this.getSync(record.queryId);
    if (!stored)
      throw new Error(
        `Ledger record ${record.queryId} exists (the conditional put failed) but cannot be read`,
      );
    return { created: false, record: stored };
  }

  async update(queryId: string, patch: Partial<QueryRecord>, onlyIf?: LedgerCondition): Promise<boolean> {
    if (onlyIf && conditionOf(onlyIf).statuses.length === 0) return false;
    const update = ledgerUpdate(patch, this.clock(), onlyIf);
    try {
      this.dynamodb.updateItemSync({
        TableName: this.tableName,
        Key: marshall({ [TABLES.ledgerKey]: queryId }),
        ...update,
        ExpressionAttributeValues: marshall(update.ExpressionAttributeValues, {
          removeUndefinedValues: true,
        }),
      });
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** Queries newest first (by submittedAt, then queryId), filtered; throws InvalidPageTokenError for a foreign token. */
  async list(filter: ListQueriesFilter): Promise<QueryPage> {
    const fingerprint = JSON.stringify([
      filter.workgroup ?? null,
      filter.status ?? null,
      filter.userId ?? null,
      ...(filter.visibleTo ? [filter.visibleTo] : []),
    ]);
    const where = ['table_name = ?'];
    const args: (string | number)[] = [this.tableName];
    if (filter.visibleTo) {
      // Its own queries, and those with a submitter in the classes it shares.
      const { submittedBy, sharedWorkgroups } = filter.visibleTo;
      const submitter = "json_extract(doc, '$.submittedBy')";
      const visible = [
        ...(submittedBy !== undefined ? [`${submitter} = ?`] : []),
        ...(sharedWorkgroups.length > 0
          ? [
              `(json_extract(doc, '$.workgroup') IN (${sharedWorkgroups.map(() => '?').join(', ')}) AND coalesce(${submitter}, '') <> '')`,
            ]
          : []),
      ];
      where.push(visible.length > 0 ? `(${visible.join(' OR ')})` : '0');
      if (submittedBy !== undefined) args.push(submittedBy);
      args.push(...sharedWorkgroups);
    }
    for (const [field, value] of [
      ['workgroup', filter.workgroup],
      ['status', filter.status],
      ['userId', filter.userId],
    ] as const) {
      if (value === undefined) continue;
      where.push(`json_extract(doc, '$.${field}') = ?`);
      args.push(value);
    }
    if (filter.nextToken) {
      const token = decodeToken(filter.nextToken, fingerprint);
      where.push(
        `(json_extract(doc, '$.submittedAt') < ? OR (json_extract(doc, '$.submittedAt') = ? AND pk < ?))`,
      );
      args.push(token.s, token.s, token.k);
    }
    const limit = Math.max(1, Math.floor(filter.limit));
    const rows = this.dynamodb.db
      .prepare<(string | number)[], { pk: string; doc: string }>(
        `SELECT pk, doc FROM documents WHERE ${where.join(' AND ')}
         ORDER BY json_extract(doc, '$.submittedAt') DESC, pk DESC LIMIT ?`,
      )
      .all(...args, limit + 1);
    const page = rows.slice(0, limit);
    const items = page.map((row) => JSON.parse(row.doc) as QueryRecord);
    if (rows.length <= limit) return { items };
    const last = page[page.length - 1];
    const nextToken = encodeToken({
      v: 1,
      f: fingerprint,
      s: items[items.length - 1].submittedAt,
      k: last.pk,
    });
    return { items, nextToken };
  }

  /** Queries of a class submitted at or after `since`, per status (all statuses and all time by default). */
  async countByStatus(
    workgroup: string,
    statuses: readonly QueryStatus[] = QUERY_STATUSES,
    since = '',
  ): Promise<Readonly<Partial<Record<QueryStatus, number>>>> {
    const counts: Partial<Record<QueryStatus, number>> = {};
    if (statuses.length === 0) return counts;
    const rows = this.dynamodb.db
      .prepare<(string | number)[], { status: QueryStatus; n: number }>(
        `SELECT json_extract(doc, '$.status') AS status, count(*) AS n FROM documents
         WHERE table_name = ? AND json_extract(doc, '$.workgroup') = ? AND json_extract(doc, '$.submittedAt') >= ?
           AND json_extract(doc, '$.status') IN (${statuses.map(() => '?').join(', ')})
         GROUP BY 1`,
      )
      .all(this.tableName, workgroup, since, ...statuses);
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }
}

function encodeToken(token: PageToken): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

function decodeToken(text: string, fingerprint: string): PageToken {
  let token: PageToken;
  try {
    token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as PageToken;
  } catch {
    throw new InvalidPageTokenError();
  }
  if (token?.v !== 1 || typeof token.s !== 'string' || typeof token.k !== 'string')
    throw new InvalidPageTokenError();
  if (token.f !== fingerprint) {
    throw new InvalidPageTokenError(
      'nextToken was issued for other filters (workgroup, status, userId); repeat the filters it came with',
    );
  }
  return token;
}
