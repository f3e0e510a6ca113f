import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { QueryStatus } from '../../../contracts/query-status';
import { TABLES } from '../../../contracts/tables';
import {
  type Clock,
  conditionOf,
  InvalidPageTokenError,
  type Ledger,
  type LedgerCondition,
  type LedgerQueries,
  type ListQueriesFilter,
  type QueryPage,
} from '../../core/ports';
import type { QueryRecord } from '../../core/query-record';
import { fromLedgerItem, ledgerUpdate, toLedgerItem } from '../ledger-item';

/** A DocumentClient that drops undefined fields (optional record fields are simply absent). */
export function documentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Whether an SDK error is DynamoDB's ConditionalCheckFailedException. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

export interface DynamoDbLedgerProps {
  readonly tableName: string;
  /**
   * The workload classes: `list` without a class merges their index partitions newest first
   * (records of a class removed from the config are then not listed).
   */
  readonly classes: readonly string[];
  /** @default the system clock */
  readonly clock?: Clock;
  /** Most Query calls one `list` or `countByStatus` makes before it returns what it has. @default 20 */
  readonly maxQueryCalls?: number;
}

type Key = Record<string, unknown>;

interface Partition {
  readonly name: string;
  /** ExclusiveStartKey that resumes right after the last item handed out (undefined: from the top). */
  cursor?: Key;
  /** Where the next page starts (the last page's LastEvaluatedKey). */
  next?: Key;
  buffer: QueryRecord[];
  done: boolean;
}

interface PageToken {
  readonly v: 1;
  /** The filter the token was issued for. */
  readonly f: string;
  /** Per partition: its cursor (null: from the top) or 0 when it has nothing more. */
  readonly p: Record<string, Key | null | 0>;
}

/**
 * The ledger in DynamoDB: one item per query, the QueryRecord fields as plain attributes (`error` a map),
 * the same layout the state machine's native UpdateItem calls write (the class is stored as
 * `TABLES.ledgerClassAttribute`). Listing uses the class index (partition class, sort submittedAt),
 * never a scan.
 */
export class DynamoDbLedger implements Ledger, LedgerQueries {
  private readonly clock: Clock;
  private readonly maxQueryCalls: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly props: DynamoDbLedgerProps,
  ) {
    this.clock = props.clock ?? (() => new Date());
    this.maxQueryCalls = props.maxQueryCalls ?? 20;
  }

  async get(queryId: string): Promise<QueryRecord | undefined> {
    const out = await this.client.send(this.getCommand(queryId));
    return out.Item ? fromLedgerItem(out.Item) : undefined;
  }

  async create(record: QueryRecord): Promise<{ readonly created: boolean; readonly record: QueryRecord }> {
    try {
      await this.client.send(this.createCommand(record));
      return { created: true, record };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const stored = await this.get(record.queryId);
    if (!stored) {
      throw new Error(
        `Ledger record ${record.queryId} exists (the conditional put failed) but cannot be read`,
      );
    }
    return { created: false, record: stored };
  }

  /** A strongly consistent read of one record. */
  getCommand(queryId: string): GetCommand {
    return new GetCommand({
      TableName: this.props.tableName,
      Key: { [TABLES.ledgerKey]: queryId },
      ConsistentRead: true,
    });
  }

  /**
   * The put that stores a new record unless one has its queryId (ConditionalCheckFailedException then),
   * for a caller that sends it with other writes of its own in one transaction.
   */
  createCommand(record: QueryRecord): PutCommand {
    return new PutCommand({
      TableName: this.props.tableName,
      Item: toLedgerItem(record),
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLES.ledgerKey },
    });
  }

  async update(queryId: string, patch: Partial<QueryRecord>, onlyIf?: LedgerCondition): Promise<boolean> {
    if (onlyIf && conditionOf(onlyIf).statuses.length === 0) return false;
    const update = ledgerUpdate(patch, this.clock(), onlyIf);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.props.tableName,
          Key: { [TABLES.ledgerKey]: queryId },
          ...update,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Newest first from the class index: one partition when a class is given, else a merge of
   * every class's partition, resumed from a composite token that holds each partition's position.
   * status and userId are filter expressions, so a page may take several reads; a page stops early
   * (with a token) once `maxQueryCalls` reads are spent.
   */
  async list(filter: ListQueriesFilter): Promise<QueryPage> {
    const names = filter.className ? [filter.className] : [...this.props.classes];
    const visible = filter.visibleTo;
    const fingerprint = JSON.stringify([
      filter.className ?? null,
      filter.status ?? null,
      filter.userId ?? null,
      // In the form tokens were issued in before the class was renamed, so those tokens still resume.
      ...(visible
        ? [
            {
              ...(visible.submittedBy !== undefined ? { submittedBy: visible.submittedBy } : {}),
              sharedWorkgroups: visible.sharedClasses,
            },
          ]
        : []),
    ]);
    const token = filter.nextToken ? decodeToken(filter.nextToken, fingerprint) : undefined;
    const parts: Partition[] = names.map((name) => {
      const saved = token?.p[name];
      const cursor = saved ? saved : undefined;
      return { name, cursor, next: cursor, buffer: [], done: saved === 0 };
    });
    const filtered =
      filter.status !== undefined || filter.userId !== undefined || filter.visibleTo !== undefined;
    const pageSize = filtered ? 200 : filter.limit;
    const items: QueryRecord[] = [];
    let calls = 0;
    let outOfReads = false;

    while (items.length < filter.limit && !outOfReads) {
      for (const part of parts) {
        while (part.buffer.length === 0 && !part.done) {
          if (calls >= this.maxQueryCalls) {
            outOfReads = true;
            break;
          }
          calls++;
          await this.readPage(part, filter, pageSize);
        }
        if (outOfReads) break;
      }
      if (outOfReads) break;
      const live = parts.filter((p) => p.buffer.length > 0);
      if (live.length === 0) break;
      const newest = live.reduce((a, b) => (newer(b.buffer[0], a.buffer[0]) ? b : a));
      const item = newest.buffer.shift() as QueryRecord;
      items.push(item);
      if (newest.buffer.length > 0) newest.cursor = indexKey(item);
      else if (newest.next) newest.cursor = newest.next;
      else newest.done = true;
    }

    if (parts.every((p) => p.done)) return { items };
    const p: PageToken['p'] = {};
    for (const part of parts) p[part.name] = part.done ? 0 : (part.cursor ?? null);
    return { items, nextToken: encodeToken({ v: 1, f: fingerprint, p }) };
  }

  async countByStatus(
    className: string,
    statuses: readonly QueryStatus[],
    since: string,
  ): Promise<Readonly<Partial<Record<QueryStatus, number>>>> {
    const counts: Partial<Record<QueryStatus, number>> = {};
    if (statuses.length === 0) return counts;
    let start: Key | undefined;
    for (let calls = 0; calls < this.maxQueryCalls; calls++) {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.props.tableName,
          IndexName: TABLES.ledgerByClassIndex,
          KeyConditionExpression: '#class = :class AND #submittedAt >= :since',
          FilterExpression: `#status IN (${statuses.map((_, n) => `:s${n}`).join(', ')})`,
          ProjectionExpression: '#status',
          ExpressionAttributeNames: {
            '#class': TABLES.ledgerClassAttribute,
            '#submittedAt': TABLES.ledgerByClassSortKey,
            '#status': 'status',
          },
          ExpressionAttributeValues: {
            ':class': className,
            ':since': since,
            ...Object.fromEntries(statuses.map((s, n) => [`:s${n}`, s])),
          },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        const status = item.status as QueryStatus;
        counts[status] = (counts[status] ?? 0) + 1;
      }
      start = out.LastEvaluatedKey;
      if (!start) break;
    }
    return counts;
  }

  private async readPage(part: Partition, filter: ListQueriesFilter, pageSize: number): Promise<void> {
    const names: Record<string, string> = { '#class': TABLES.ledgerClassAttribute };
    const values: Record<string, unknown> = { ':class': part.name };
    const conditions: string[] = [];
    if (filter.status !== undefined) {
      names['#status'] = 'status';
      values[':status'] = filter.status;
      conditions.push('#status = :status');
    }
    if (filter.userId !== undefined) {
      names['#userId'] = 'userId';
      values[':userId'] = filter.userId;
      conditions.push('#userId = :userId');
    }
    const visible = filter.visibleTo;
    if (visible) {
      // A class the caller shares shows every query that has a submitter; any other only the caller's own.
      // `submittedBy` is "" when the mapping template had no userArn: such a record is an admin's alone
      // (empty strings are valid non-key values and expression values since 2020:
      // https://aws.amazon.com/about-aws/whats-new/2020/05/amazon-dynamodb-now-supports-empty-values-for-non-key-string-and-binary-attributes-in-dynamodb-tables/).
      names['#submittedBy'] = 'submittedBy';
      values[':noSubmitter'] = '';
      if (visible.sharedClasses.includes(part.name)) {
        conditions.push('attribute_exists(#submittedBy) AND #submittedBy <> :noSubmitter');
      } else {
        values[':submittedBy'] = visible.submittedBy ?? '';
        conditions.push('#submittedBy = :submittedBy AND #submittedBy <> :noSubmitter');
      }
    }
    const input: QueryCommandInput = {
      TableName: this.props.tableName,
      IndexName: TABLES.ledgerByClassIndex,
      KeyConditionExpression: '#class = :class',
      ScanIndexForward: false,
      Limit: pageSize,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ...(conditions.length > 0 ? { FilterExpression: conditions.join(' AND ') } : {}),
      ...(part.next ? { ExclusiveStartKey: part.next } : {}),
    };
    const out = await this.client.send(new QueryCommand(input));
    part.buffer = (out.Items ?? []).map(fromLedgerItem);
    part.next = out.LastEvaluatedKey;
    if (part.buffer.length === 0) {
      // Everything read was filtered out: the position moves past it.
      if (part.next) part.cursor = part.next;
      else part.done = true;
    }
  }
}

function newer(a: QueryRecord, b: QueryRecord): boolean {
  return a.submittedAt === b.submittedAt ? a.queryId > b.queryId : a.submittedAt > b.submittedAt;
}

/** The index key of an item, which resumes a class index query right after it. */
function indexKey(record: QueryRecord): Key {
  return {
    [TABLES.ledgerKey]: record.queryId,
    [TABLES.ledgerClassAttribute]: record.className,
    [TABLES.ledgerByClassSortKey]: record.submittedAt,
  };
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
  if (token?.v !== 1 || typeof token.p !== 'object' || token.p === null) throw new InvalidPageTokenError();
  if (token.f !== fingerprint) {
    throw new InvalidPageTokenError(
      'nextToken was issued for other filters (className, status, userId); repeat the filters it came with',
    );
  }
  for (const [partition, value] of Object.entries(token.p)) {
    if (value === 0 || value === null) continue;
    const key = value as Record<string, unknown>;
    const valid =
      typeof key === 'object' &&
      !Array.isArray(key) &&
      Object.keys(key).length === 3 &&
      typeof key[TABLES.ledgerKey] === 'string' &&
      key[TABLES.ledgerClassAttribute] === partition &&
      typeof key[TABLES.ledgerByClassSortKey] === 'string';
    if (!valid) throw new InvalidPageTokenError();
  }
  return token;
}
