import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AdmissionPolicy, decideAdmission, usageOf } from '../../core/admission';
import type { AcquireResult, Clock, SlotHolder, SlotStore } from '../../core/ports';
import type { ConditionalSlotRelease } from '../../core/reconcile-slots';
import { isConditionalCheckFailed } from './dynamodb-ledger';
import { TABLES } from './environment';

/** The slot item could not be written after every retry: too many starters wrote it at once. */
export class SlotContentionError extends Error {
  constructor(queryId: string, attempts: number) {
    super(
      `Could not take a slot for query ${queryId}: the slot table changed under ${attempts} attempts in a row. ` +
        'The message is retried; if this persists, lower the starter concurrency.',
    );
    this.name = 'SlotContentionError';
  }
}

export interface DynamoDbSlotStoreProps {
  readonly tableName: string;
  /** @default the system clock */
  readonly clock?: Clock;
  /** Read-decide-write rounds before giving up with SlotContentionError. @default 8 */
  readonly maxAttempts?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
}

interface SlotItem {
  readonly id: string;
  readonly holders?: Record<string, { readonly className: string; readonly acquiredAt: string }>;
  readonly version?: number;
}

/**
 * Slots in one DynamoDB item `{id: 'slots', holders: {<queryId>: {className, acquiredAt}}, version}`,
 * written with optimistic concurrency: read, decide with the pure admission rule, write only if the
 * version is still the one read. The state machine releases with `REMOVE holders.<queryId>`, which may
 * leave the version alone: a release only ever frees capacity, so a decision made before it stays safe.
 */
export class DynamoDbSlotStore implements SlotStore, ConditionalSlotRelease {
  private readonly clock: Clock;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly props: DynamoDbSlotStoreProps,
  ) {
    this.clock = props.clock ?? (() => new Date());
    this.maxAttempts = props.maxAttempts ?? 8;
    this.sleep = props.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = props.random ?? Math.random;
  }

  async acquire(queryId: string, className: string, policy: AdmissionPolicy): Promise<AcquireResult> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const item = await this.read();
      const current = holdersOf(item);
      if (item?.holders?.[queryId]) return { admitted: true, usage: usageOf(current) };
      const decision = decideAdmission(policy, usageOf(current), className);
      if (!decision.admitted) return { ...decision, usage: usageOf(current) };
      const holder = { className, acquiredAt: this.clock().toISOString() };
      try {
        await this.write(item, queryId, holder);
        return { admitted: true, usage: usageOf([...current, { queryId, ...holder }]) };
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
      if (attempt < this.maxAttempts) {
        // Full jitter on a short doubling ceiling: competing starters spread out instead of colliding again.
        await this.sleep(Math.round(this.random() * Math.min(200, 10 * 2 ** attempt)));
      }
    }
    throw new SlotContentionError(queryId, this.maxAttempts);
  }

  async release(queryId: string): Promise<boolean> {
    return this.remove(queryId, 'attribute_exists(#holders.#q)', {});
  }

  async releaseIfAcquiredAt(queryId: string, acquiredAt: string): Promise<boolean> {
    return this.remove(queryId, '#holders.#q.#acquiredAt = :acquiredAt', { ':acquiredAt': acquiredAt });
  }

  async holders(): Promise<readonly SlotHolder[]> {
    return holdersOf(await this.read());
  }

  private async read(): Promise<SlotItem | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.props.tableName,
        Key: { [TABLES.slotsKey]: TABLES.slotsItemId },
        ConsistentRead: true,
      }),
    );
    return out.Item as SlotItem | undefined;
  }

  private async write(
    item: SlotItem | undefined,
    queryId: string,
    holder: { className: string; acquiredAt: string },
  ): Promise<void> {
    const TableName = this.props.tableName;
    const Key = { [TABLES.slotsKey]: TABLES.slotsItemId };
    if (!item) {
      await this.client.send(
        new PutCommand({
          TableName,
          Item: { ...Key, holders: { [queryId]: holder }, version: 1 },
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': TABLES.slotsKey },
        }),
      );
      return;
    }
    const versionCondition =
      item.version === undefined ? 'attribute_not_exists(#version)' : '#version = :version';
    const versionValue = item.version === undefined ? {} : { ':version': item.version };
    if (!item.holders) {
      // An item without a holders map (for example one a stray release created): write the whole map.
      await this.client.send(
        new UpdateCommand({
          TableName,
          Key,
          UpdateExpression: 'SET #holders = :holders, #version = :next',
          ConditionExpression: `${versionCondition} AND attribute_not_exists(#holders)`,
          ExpressionAttributeNames: { '#holders': 'holders', '#version': 'version' },
          ExpressionAttributeValues: {
            ':holders': { [queryId]: holder },
            ':next': (item.version ?? 0) + 1,
            ...versionValue,
          },
        }),
      );
      return;
    }
    await this.client.send(
      new UpdateCommand({
        TableName,
        Key,
        UpdateExpression: 'SET #holders.#q = :holder, #version = :next',
        ConditionExpression: versionCondition,
        ExpressionAttributeNames: { '#holders': 'holders', '#q': queryId, '#version': 'version' },
        ExpressionAttributeValues: { ':holder': holder, ':next': (item.version ?? 0) + 1, ...versionValue },
      }),
    );
  }

  private async remove(
    queryId: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    const needsAcquiredAt = condition.includes('#acquiredAt');
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.props.tableName,
          Key: { [TABLES.slotsKey]: TABLES.slotsItemId },
          UpdateExpression: 'REMOVE #holders.#q',
          ConditionExpression: condition,
          ExpressionAttributeNames: {
            '#holders': 'holders',
            '#q': queryId,
            ...(needsAcquiredAt ? { '#acquiredAt': 'acquiredAt' } : {}),
          },
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}

function holdersOf(item: SlotItem | undefined): SlotHolder[] {
  return Object.entries(item?.holders ?? {}).map(([queryId, h]) => ({
    queryId,
    className: h.className,
    acquiredAt: h.acquiredAt,
  }));
}
