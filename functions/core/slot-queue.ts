import { type AdmissionDecision, type AdmissionPolicy, decideAdmission, usageOf } from './admission';
import type { SlotHolder } from './ports';

/** A query of a class that was refused a slot and is waiting its turn. */
export interface WaitingTicket {
  readonly queryId: string;
  readonly className: string;
  /** When the query was submitted: the order of the class's line. */
  readonly submittedAt: string;
  /** When it last asked; a ticket not renewed within the TTL is dropped (cancelled or gone). */
  readonly lastSeenAt: string;
}

/** The slot table's state: who holds a slot, and who waits in line for one. */
export interface SlotState {
  readonly holders: readonly SlotHolder[];
  readonly waiting: readonly WaitingTicket[];
}

export interface SlotRequest {
  readonly queryId: string;
  readonly className: string;
  readonly submittedAt: string;
}

export type QueuedAdmission = AdmissionDecision & {
  /** Queries of the same class ahead of this one in line (when refused). */
  readonly ahead?: number;
};

/** What an admission changes in the slot state: adapters write exactly this. */
export interface SlotChanges {
  readonly addHolder?: SlotHolder;
  readonly putTicket?: WaitingTicket;
  /** Tickets to remove: the admitted query's own, and expired ones. */
  readonly removeTickets: readonly string[];
}

/**
 * Admission with a first-come line per class: a query is admitted only when its class may take a slot
 * for it and for every older query of the class still waiting, so a newcomer never jumps the line while
 * an older query backs off. A refused query keeps a ticket (renewed on every look) that tells it how many
 * are ahead; tickets not renewed within `ticketTtlMs` are dropped so a cancelled query cannot block the
 * line. Idempotent: a query that already holds a slot is admitted again without a change.
 */
export function admitInLine(
  state: SlotState,
  request: SlotRequest,
  policy: AdmissionPolicy,
  now: Date,
  ticketTtlMs: number,
): { readonly decision: QueuedAdmission; readonly changes: SlotChanges } {
  if (state.holders.some((h) => h.queryId === request.queryId)) {
    return { decision: { admitted: true }, changes: { removeTickets: [] } };
  }
  const expiredBefore = now.getTime() - ticketTtlMs;
  const expired = state.waiting.filter((t) => Date.parse(t.lastSeenAt) < expiredBefore).map((t) => t.queryId);
  const ahead = state.waiting.filter(
    (t) =>
      t.className === request.className &&
      t.queryId !== request.queryId &&
      !expired.includes(t.queryId) &&
      isBefore(t, request),
  ).length;

  const usage = usageOf(state.holders);
  const decision = decideAdmission(policy, usage, request.className);
  if (decision.admitted && canTakeMore(policy, usage, request.className, ahead + 1)) {
    const holder = { queryId: request.queryId, className: request.className, acquiredAt: now.toISOString() };
    return { decision, changes: { addHolder: holder, removeTickets: [...expired, request.queryId] } };
  }

  const ticket: WaitingTicket = { ...request, lastSeenAt: now.toISOString() };
  const refusal = decision.admitted
    ? `${request.className} has a free slot, but older queries of ${request.className} are first in line`
    : decision.reason;
  return {
    decision: {
      admitted: false,
      limitingFactor: decision.admitted ? 'class-cap' : decision.limitingFactor,
      reason:
        ahead > 0 ? `${refusal}; ${ahead} ${ahead === 1 ? 'query' : 'queries'} ahead of this one` : refusal,
      ahead,
    },
    changes: { putTicket: ticket, removeTickets: expired.filter((id) => id !== request.queryId) },
  };
}

/** How long a waiting ticket lives without renewal: three of the longest waits between looks, plus slack. */
export function ticketTtlMs(admission: { readonly maxWaitSeconds: number }): number {
  return (admission.maxWaitSeconds * 3 + 30) * 1000;
}

/** Applies changes to a state (for stores that keep the whole state in one document). */
export function applySlotChanges(state: SlotState, changes: SlotChanges): SlotState {
  const removed = new Set(changes.removeTickets);
  const waiting = state.waiting.filter(
    (t) => !removed.has(t.queryId) && t.queryId !== changes.putTicket?.queryId,
  );
  return {
    holders: changes.addHolder ? [...state.holders, changes.addHolder] : state.holders,
    waiting: changes.putTicket ? [...waiting, changes.putTicket] : waiting,
  };
}

function isBefore(ticket: WaitingTicket, request: SlotRequest): boolean {
  return (
    ticket.submittedAt < request.submittedAt ||
    (ticket.submittedAt === request.submittedAt && ticket.queryId < request.queryId)
  );
}

/** Whether the class may take `count` more slots now. */
function canTakeMore(
  policy: AdmissionPolicy,
  usage: Readonly<Record<string, number>>,
  className: string,
  count: number,
) {
  const trial = { ...usage };
  for (let i = 0; i < count; i++) {
    if (!decideAdmission(policy, trial, className).admitted) return false;
    trial[className] = (trial[className] ?? 0) + 1;
  }
  return true;
}
