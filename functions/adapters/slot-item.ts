import type { SlotHolder } from '../core/ports';
import { type SlotChanges, type SlotState, ticketTtlMs, type WaitingTicket } from '../core/slot-queue';
import { TABLES } from './aws/environment';

/**
 * The one item of the slot table, on DynamoDB and in the local runtime alike:
 * `{id: 'slots', holders: {<queryId>: {className, acquiredAt}}, waiting: {<queryId>: {className,
 * submittedAt, lastSeenAt}}, version}`. The state machine's `ReleaseSlot` removes `holders.<queryId>`.
 */
export interface SlotItem {
  readonly holders?: Readonly<Record<string, { readonly className: string; readonly acquiredAt: string }>>;
  readonly waiting?: Readonly<
    Record<string, { readonly className: string; readonly submittedAt: string; readonly lastSeenAt: string }>
  >;
  readonly version?: number;
}

/**
 * Most waiting tickets kept: each write of the item costs a write unit per KB, so the line stays small
 * (a query beyond it still waits and retries; it just has no place in line until one frees).
 */
export const MAX_WAITING_TICKETS = 500;

/** Ticket lifetime when a caller gives no line: the default config's waits. */
export const DEFAULT_TICKET_TTL_MS = ticketTtlMs({ maxWaitSeconds: 20 });

export const SLOT_ITEM_KEY = { [TABLES.slotsKey]: TABLES.slotsItemId } as const;

export function slotStateOf(item: SlotItem | undefined): SlotState {
  const holders: SlotHolder[] = Object.entries(item?.holders ?? {}).map(([queryId, h]) => ({
    queryId,
    className: h.className,
    acquiredAt: h.acquiredAt,
  }));
  const waiting: WaitingTicket[] = Object.entries(item?.waiting ?? {}).map(([queryId, t]) => ({
    queryId,
    className: t.className,
    submittedAt: t.submittedAt,
    lastSeenAt: t.lastSeenAt,
  }));
  return { holders, waiting };
}

/** A write of the slot item, in DynamoDB's terms, with plain (unmarshalled) values. */
export type SlotWrite =
  | { readonly kind: 'put'; readonly item: Record<string, unknown> }
  | {
      readonly kind: 'update';
      readonly UpdateExpression: string;
      readonly ConditionExpression: string;
      readonly ExpressionAttributeNames: Record<string, string>;
      readonly ExpressionAttributeValues: Record<string, unknown>;
    };

/**
 * The write that applies an admission's changes to the item read, conditional on its version (a
 * concurrent acquire makes it fail and the caller decides again). Returns undefined when nothing needs
 * writing: a refused query whose ticket was renewed recently (within half the TTL) is not written again,
 * which keeps writes of a long line low.
 */
export function planSlotWrite(
  item: SlotItem | undefined,
  changes: SlotChanges,
  now: Date,
  ticketTtlMs: number,
): SlotWrite | undefined {
  const waiting = item?.waiting ?? {};
  let putTicket = changes.putTicket;
  if (putTicket) {
    const existing = waiting[putTicket.queryId];
    const fresh = existing && Date.parse(existing.lastSeenAt) > now.getTime() - ticketTtlMs / 2;
    const full = !existing && Object.keys(waiting).length >= MAX_WAITING_TICKETS;
    if (fresh || full) putTicket = undefined;
  }
  const removals = changes.removeTickets.filter((id) => id in waiting && id !== putTicket?.queryId);
  if (!changes.addHolder && !putTicket && removals.length === 0) return undefined;

  const holderValue = (h: SlotHolder) => ({ className: h.className, acquiredAt: h.acquiredAt });
  const ticketValue = (t: WaitingTicket) => ({
    className: t.className,
    submittedAt: t.submittedAt,
    lastSeenAt: t.lastSeenAt,
  });
  if (!item) {
    return {
      kind: 'put',
      item: {
        ...SLOT_ITEM_KEY,
        holders: changes.addHolder ? { [changes.addHolder.queryId]: holderValue(changes.addHolder) } : {},
        waiting: putTicket ? { [putTicket.queryId]: ticketValue(putTicket) } : {},
        version: 1,
      },
    };
  }

  const names: Record<string, string> = { '#version': 'version' };
  const values: Record<string, unknown> = { ':next': (item.version ?? 0) + 1 };
  const sets = ['#version = :next'];
  const removes: string[] = [];
  const conditions = [item.version === undefined ? 'attribute_not_exists(#version)' : '#version = :version'];
  if (item.version !== undefined) values[':version'] = item.version;

  if (changes.addHolder) {
    names['#holders'] = 'holders';
    if (item.holders) {
      names['#holder'] = changes.addHolder.queryId;
      sets.push('#holders.#holder = :holder');
      values[':holder'] = holderValue(changes.addHolder);
    } else {
      sets.push('#holders = :holders');
      conditions.push('attribute_not_exists(#holders)');
      values[':holders'] = { [changes.addHolder.queryId]: holderValue(changes.addHolder) };
    }
  }
  if (putTicket || removals.length > 0) names['#waiting'] = 'waiting';
  if (putTicket) {
    if (item.waiting) {
      names['#ticket'] = putTicket.queryId;
      sets.push('#waiting.#ticket = :ticket');
      values[':ticket'] = ticketValue(putTicket);
    } else {
      sets.push('#waiting = :waiting');
      conditions.push('attribute_not_exists(#waiting)');
      values[':waiting'] = { [putTicket.queryId]: ticketValue(putTicket) };
    }
  }
  removals.forEach((id, i) => {
    names[`#gone${i}`] = id;
    removes.push(`#waiting.#gone${i}`);
  });
  return {
    kind: 'update',
    UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** The update that drops a query's waiting ticket, conditional on it having one. */
export function leaveLineUpdate(queryId: string) {
  return {
    UpdateExpression: 'REMOVE #waiting.#q',
    ConditionExpression: 'attribute_exists(#waiting.#q)',
    ExpressionAttributeNames: { '#waiting': 'waiting', '#q': queryId },
  };
}
