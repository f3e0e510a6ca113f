import { marshall } from '@aws-sdk/util-dynamodb';
import { TABLES } from '../../functions/adapters/aws/environment';
import { type AdmissionPolicy, decideAdmission, usageOf } from '../../functions/core/admission';
import type { AcquireResult, Clock, SlotHolder, SlotStore } from '../../functions/core/ports';
import type { ConditionalSlotRelease } from '../../functions/core/reconcile-slots';
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

interface SlotItem {
  readonly id: string;
  readonly holders: Record<string, { readonly className: string; readonly acquiredAt: string }>;
  readonly version: number;
  /** Whether the stored item has its holders map and version (the update below needs both). */
  readonly wellFormed: boolean;
}

const SLOTS_KEY = marshall({ [TABLES.slotsKey]: TABLES.slotsItemId });

/**
 * Slots in the one item `{id: 'slots', holders: {<queryId>: {className, acquiredAt}}, version}` of the
 * local slots table: the layout of the DynamoDB adapter, which the state machine's `ReleaseSlot` state
 * removes a holder from with `REMOVE #holders.#queryId`. An acquire reads the holders, decides with
 * the core admission rule and writes, all in one `BEGIN IMMEDIATE` transaction, so concurrent callers
 * (other connections and processes included) can never pass the caps together.
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
        Item: marshall({ [TABLES.slotsKey]: TABLES.slotsItemId, holders: {}, version: 0 }),
        ConditionExpression: 'attribute_not_exists(#id)',
        ExpressionAttributeNames: { '#id': TABLES.slotsKey },
      });
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  async acquire(queryId: string, className: string, policy: AdmissionPolicy): Promise<AcquireResult> {
    return immediate(this.dynamodb.db, () => {
      const item = this.read();
      const current = holdersOf(item);
      if (item.holders[queryId]) return { admitted: true as const, usage: usageOf(current) };
      const decision = decideAdmission(policy, usageOf(current), className);
      if (!decision.admitted) return { ...decision, usage: usageOf(current) };
      const holder = { className, acquiredAt: this.clock().toISOString() };
      if (!item.wellFormed) {
        // No slot item (deleted meanwhile) or one without its map or version: write it whole.
        this.dynamodb.putItemSync({
          TableName: this.tableName,
          Item: marshall({
            [TABLES.slotsKey]: TABLES.slotsItemId,
            holders: { ...item.holders, [queryId]: holder },
            version: item.version + 1,
          }),
        });
        return { admitted: true as const, usage: usageOf([...current, { queryId, ...holder }]) };
      }
      // The version condition always holds inside the transaction; it keeps the write the AWS adapter's.
      this.dynamodb.updateItemSync({
        TableName: this.tableName,
        Key: SLOTS_KEY,
        UpdateExpression: 'SET #holders.#q = :holder, #version = :next',
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#holders': 'holders', '#q': queryId, '#version': 'version' },
        ExpressionAttributeValues: marshall({
          ':holder': holder,
          ':next': item.version + 1,
          ':version': item.version,
        }),
      });
      return { admitted: true as const, usage: usageOf([...current, { queryId, ...holder }]) };
    });
  }

  async release(queryId: string): Promise<boolean> {
    return this.remove(queryId, 'attribute_exists(#holders.#q)');
  }

  async releaseIfAcquiredAt(queryId: string, acquiredAt: string): Promise<boolean> {
    return this.remove(queryId, '#holders.#q.#acquiredAt = :acquiredAt', acquiredAt);
  }

  async holders(): Promise<readonly SlotHolder[]> {
    return holdersOf(this.read());
  }

  private read(): SlotItem {
    const doc = this.dynamodb.getDocument(this.tableName, { [TABLES.slotsKey]: TABLES.slotsItemId }) as
      | Partial<SlotItem>
      | undefined;
    const holders = doc?.holders !== null && typeof doc?.holders === 'object' ? doc.holders : undefined;
    const version = typeof doc?.version === 'number' ? doc.version : undefined;
    return {
      id: TABLES.slotsItemId,
      holders: holders ?? {},
      version: version ?? 0,
      wellFormed: holders !== undefined && version !== undefined,
    };
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

function holdersOf(item: SlotItem): SlotHolder[] {
  return Object.entries(item.holders).map(([queryId, h]) => ({
    queryId,
    className: h.className,
    acquiredAt: h.acquiredAt,
  }));
}
