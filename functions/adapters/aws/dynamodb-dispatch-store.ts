import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { TABLES } from '../../../contracts/tables';
import type { ClassWaitStatus, DispatchStore, LineEntry, SlotHolder } from '../../core/ports';
import type { LineKey } from '../../core/wake-event';
import { isConditionalCheckFailed } from './dynamodb-ledger';

const PK = TABLES.dispatchPartitionKey;
const SK = TABLES.dispatchSortKey;
const HELD = 'held';
const STATUS = 'status';
/** A line item outlives its query's queue-wait limit by a day before TTL may remove it. */
const LINE_ITEM_GRACE_SECONDS = 86_400;

/** The partition of a class's line. */
export const linePartition = (className: string) => `line#${className}`;
/** A query's place in its line: submission time first, so the partition reads oldest first. */
export const lineSortKey = (key: Pick<LineKey, 'submittedAt' | 'queryId'>) =>
  `${key.submittedAt}#${key.queryId}`;

/**
 * The dispatcher's state in one DynamoDB table, one small item per fact: a line per class
 * (`line#<class>`, sorted by submission), the slots held (`held`), and why each line waits (`status`).
 * No item grows with the line, so a line of any length has no hot item and no item-size limit; the
 * dispatcher, the only writer, reads the heads of the lines with a Query per class.
 */
export class DynamoDbDispatchStore implements DispatchStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async join(entry: LineEntry): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [PK]: linePartition(entry.className),
            [SK]: lineSortKey(entry),
            ...entry,
            [TABLES.dispatchTtl]: Math.ceil(Date.parse(entry.waitUntil) / 1000) + LINE_ITEM_GRACE_SECONDS,
          },
          // Same place (submission time and id): as takesPlaceOf says.
          ...(entry.sentAt === undefined
            ? {
                ConditionExpression: 'attribute_not_exists(#sk) OR #attempt <= :attempt',
                ExpressionAttributeNames: { '#sk': SK, '#attempt': 'attempt' },
                ExpressionAttributeValues: { ':attempt': entry.attempt },
              }
            : {
                ConditionExpression:
                  'attribute_not_exists(#sk) OR #attempt < :attempt OR (#attempt = :attempt AND (attribute_not_exists(#sentAt) OR #sentAt <= :sentAt))',
                ExpressionAttributeNames: { '#sk': SK, '#attempt': 'attempt', '#sentAt': 'sentAt' },
                ExpressionAttributeValues: { ':attempt': entry.attempt, ':sentAt': entry.sentAt },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async leave(key: LineKey): Promise<LineEntry | undefined> {
    const { Attributes } = await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { [PK]: linePartition(key.className), [SK]: lineSortKey(key) },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes ? lineEntryOf(Attributes) : undefined;
  }

  async heads(className: string, limit: number): Promise<readonly LineEntry[]> {
    const items = await this.query(
      { KeyConditionExpression: '#pk = :pk', ExpressionAttributeValues: { ':pk': linePartition(className) } },
      limit,
    );
    return items.map(lineEntryOf);
  }

  async ahead(key: LineKey, limit: number): Promise<number> {
    const { Count } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND #sk < :sk',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: { ':pk': linePartition(key.className), ':sk': lineSortKey(key) },
        Select: 'COUNT',
        Limit: limit,
      }),
    );
    return Count ?? 0;
  }

  async hold(holder: SlotHolder): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { [PK]: HELD, [SK]: holder.queryId, ...holder } }),
    );
  }

  async free(queryId: string, executionArn?: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [PK]: HELD, [SK]: queryId },
          ConditionExpression:
            executionArn === undefined
              ? 'attribute_exists(#sk)'
              : 'attribute_exists(#sk) AND (attribute_not_exists(#arn) OR #arn = :arn)',
          ExpressionAttributeNames: {
            '#sk': SK,
            ...(executionArn === undefined ? {} : { '#arn': 'executionArn' }),
          },
          ...(executionArn === undefined ? {} : { ExpressionAttributeValues: { ':arn': executionArn } }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async holders(): Promise<readonly SlotHolder[]> {
    const items = await this.query(
      { KeyConditionExpression: '#pk = :pk', ExpressionAttributeValues: { ':pk': HELD } },
      Number.POSITIVE_INFINITY,
    );
    return items.map((item) => {
      const { [PK]: _pk, [SK]: _sk, ...holder } = item;
      return holder as unknown as SlotHolder;
    });
  }

  async waitStatus(): Promise<Readonly<Record<string, ClassWaitStatus>>> {
    const items = await this.query(
      { KeyConditionExpression: '#pk = :pk', ExpressionAttributeValues: { ':pk': STATUS } },
      Number.POSITIVE_INFINITY,
    );
    return Object.fromEntries(
      items.map((item) => [
        String(item[SK]),
        { factor: String(item.factor), message: String(item.message), since: String(item.since) },
      ]),
    );
  }

  async setWaitStatus(className: string, status: ClassWaitStatus | undefined): Promise<void> {
    const Key = { [PK]: STATUS, [SK]: className };
    if (status)
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...Key, ...status } }));
    else await this.client.send(new DeleteCommand({ TableName: this.tableName, Key }));
  }

  /** All items of a partition (up to `limit`), following the pages, with strongly consistent reads. */
  private async query(
    input: Pick<QueryCommandInput, 'KeyConditionExpression' | 'ExpressionAttributeValues'>,
    limit: number,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          ...input,
          ExpressionAttributeNames: { '#pk': PK },
          ConsistentRead: true,
          ...(Number.isFinite(limit) ? { Limit: limit - items.length } : {}),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (start && items.length < limit);
    return items;
  }
}

function lineEntryOf(item: Record<string, unknown>): LineEntry {
  const { [PK]: _pk, [SK]: _sk, [TABLES.dispatchTtl]: _ttl, ...entry } = item;
  return entry as unknown as LineEntry;
}
