import { marshall } from '@aws-sdk/util-dynamodb';
import { TABLES } from '../../functions/adapters/aws/environment';
import {
  DEFAULT_TICKET_TTL_MS,
  leaveLineUpdate,
  planSlotWrite,
  SLOT_ITEM_KEY,
  type SlotItem,
  slotStateOf,
} from '../../functions/adapters/slot-item';
import { type AdmissionPolicy, usageOf } from '../../functions/core/admission';
import type { AcquireResult, Clock, SlotHolder, SlotLine, SlotStore } from '../../functions/core/ports';
import type { ConditionalSlotRelease } from '../../functions/core/reconcile-slots';
import { admitInLine, applySlotChanges } from '../../functions/core/slot-queue';
import { isConditionalCheckFailed } from '../dynamodb/errors';
import type { LocalDynamoDb } from '../dynamodb/local-dynamodb';
import { immediate } from './database';
import { LOCAL_TABLES } from './local-names';

export interface LocalSlotStoreProps {
  /** @default LOCAL_TABLES.slots */
  readonly tableName?: string;
  /** @default the system clock */
  readonly clock?: Clock;
}

const SLOTS_KEY = marshall(SLOT_ITEM_KEY);

/**
 * Slots in the one item of the local slots table, in the DynamoDB adapter's layout and with its very
 * writes (../../functions/adapters/slot-item.ts), which the state machine's `ReleaseSlot` state removes
 * a holder from with `REMOVE #holders.#queryId`. An acquire reads the item, decides with the core's
 * `admitInLine` and writes, all in one `BEGIN IMMEDIATE` transaction, so concurrent callers (other
 * connections and processes included) can never pass the caps together.
 */
export class LocalSlotStore implements SlotStore, ConditionalSlotRelease {
  readonly tableName: string;
  private readonly clock: Clock;

  constructor(
    private readonly dynamodb: LocalDynamoDb,
    props: LocalSlotStoreProps = {},
  ) {
    this.tableName = props.tableName ?? LOCAL_TABLES.slots;
    this.clock = props.clock ?? (() => new Date());
    // The state machine's REMOVE #holders.#queryId needs the holders map to exist.
    try {
      this.dynamodb.putItemSync({
        TableName: this.tableName,
        Item: marshall({ ...SLOT_ITEM_KEY, holders: {}, waiting: {}, version: 0 }),
        ConditionExpression: 'attribute_not_exists(#id)',
        ExpressionAttributeNames: { '#id': TABLES.slotsKey },
      });
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  async acquire(
    queryId: string,
    className: string,
    policy: AdmissionPolicy,
    line?: SlotLine,
  ): Promise<AcquireResult> {
    return immediate(this.dynamodb.db, () => {
      const item = this.read();
      const now = this.clock();
      const ttl = line?.ticketTtlMs ?? DEFAULT_TICKET_TTL_MS;
      const request = { queryId, className, submittedAt: line?.submittedAt ?? now.toISOString() };
      const state = slotStateOf(item);
      const { decision, changes } = admitInLine(state, request, policy, now, ttl);
      const write = planSlotWrite(item, changes, now, ttl);
      if (write?.kind === 'put') {
        this.dynamodb.putItemSync({ TableName: this.tableName, Item: marshall(write.item) });
      } else if (write) {
        // The version condition always holds inside the transaction; it keeps the write the AWS adapter's.
        const { kind: _, ExpressionAttributeValues, ...update } = write;
        this.dynamodb.updateItemSync({
          TableName: this.tableName,
          Key: SLOTS_KEY,
          ...update,
          ExpressionAttributeValues: marshall(ExpressionAttributeValues),
        });
      }
      return { ...decision, usage: usageOf(applySlotChanges(state, changes).holders) };
    });
  }

  async release(queryId: string): Promise<boolean> {
    const held = this.remove(queryId, 'attribute_exists(#holders.#q)');
    this.leaveLine(queryId);
    return held;
  }

  /** Drops the query's waiting ticket, if it has one, so a cancelled query does not hold up its line. */
  private leaveLine(queryId: string): void {
    try {
      this.dynamodb.updateItemSync({
        TableName: this.tableName,
        Key: SLOTS_KEY,
        ...leaveLineUpdate(queryId),
      });
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  async releaseIfAcquiredAt(queryId: string, acquiredAt: string): Promise<boolean> {
    return this.remove(queryId, '#holders.#q.#acquiredAt = :acquiredAt', acquiredAt);
  }

  async holders(): Promise<readonly SlotHolder[]> {
    return slotStateOf(this.read()).holders;
  }

  private read(): SlotItem | undefined {
    return this.dynamodb.getDocument(this.tableName, SLOT_ITEM_KEY) as SlotItem | undefined;
  }

  private remove(queryId: string, condition: string, acquiredAt?: string): boolean {
    try {
      this.dynamodb.updateItemSync({
        TableName: this.tableName,
        Key: SLOTS_KEY,
        UpdateExpression: 'REMOVE #holders.#q',
        ConditionExpression: condition,
        ExpressionAttributeNames: {
          '#holders': 'holders',
          '#q': queryId,
          ...(acquiredAt !== undefined ? { '#acquiredAt': 'acquiredAt' } : {}),
        },
        ...(acquiredAt !== undefined
          ? { ExpressionAttributeValues: marshall({ ':acquiredAt': acquiredAt }) }
          : {}),
      });
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
