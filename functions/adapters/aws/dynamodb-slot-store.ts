import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AdmissionPolicy, usageOf } from '../../core/admission';
import type { AcquireResult, Clock, SlotHolder, SlotLine, SlotStore } from '../../core/ports';
import type { ConditionalSlotRelease } from '../../core/reconcile-slots';
import { admitInLine, applySlotChanges } from '../../core/slot-queue';
import {
  DEFAULT_TICKET_TTL_MS,
  leaveLineUpdate,
  planSlotWrite,
  SLOT_ITEM_KEY,
  type SlotItem,
  type SlotWrite,
  slotStateOf,
} from '../slot-item';
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

/**
 * Slots in one DynamoDB item (layout in ../slot-item.ts: holders, the classes' waiting lines, a version),
 * written with optimistic concurrency: read, decide with the pure `admitInLine`, write only if the
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

  async acquire(
    queryId: string,
    className: string,
    policy: AdmissionPolicy,
    line?: SlotLine,
  ): Promise<AcquireResult> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const item = await this.read();
      const now = this.clock();
      const ttl = line?.ticketTtlMs ?? DEFAULT_TICKET_TTL_MS;
      const request = { queryId, className, submittedAt: line?.submittedAt ?? now.toISOString() };
      const state = slotStateOf(item);
      const { decision, changes } = admitInLine(state, request, policy, now, ttl);
      const result = { ...decision, usage: usageOf(applySlotChanges(state, changes).holders) };
      const write = planSlotWrite(item, changes, now, ttl);
      if (!write) return result;
      try {
        await this.write(write);
        return result;
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
    const held = await this.remove(queryId, 'attribute_exists(#holders.#q)', {});
    await this.leaveLine(queryId);
    return held;
  }

  /** Drops the query's waiting ticket, if it has one, so a cancelled query does not hold up its line. */
  private async leaveLine(queryId: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.props.tableName,
          Key: { ...SLOT_ITEM_KEY },
          ...leaveLineUpdate(queryId),
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  async releaseIfAcquiredAt(queryId: string, acquiredAt: string): Promise<boolean> {
    return this.remove(queryId, '#holders.#q.#acquiredAt = :acquiredAt', { ':acquiredAt': acquiredAt });
  }

  async holders(): Promise<readonly SlotHolder[]> {
    return slotStateOf(await this.read()).holders;
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

  private async write(write: SlotWrite): Promise<void> {
    const TableName = this.props.tableName;
    if (write.kind === 'put') {
      await this.client.send(
        new PutCommand({
          TableName,
          Item: write.item,
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': TABLES.slotsKey },
        }),
      );
      return;
    }
    const { kind: _, ...update } = write;
    await this.client.send(new UpdateCommand({ TableName, Key: { ...SLOT_ITEM_KEY }, ...update }));
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
