import type { AdmissionPolicy } from '../../functions/core/admission';
import { admitInLine, applySlotChanges, type SlotState } from '../../functions/core/slot-queue';

const policy: AdmissionPolicy = {
  capacity: 6,
  classes: { etl: { guaranteedSlots: 2, maxSlots: 4 }, explore: { guaranteedSlots: 0, maxSlots: 2 } },
};
const TTL = 60_000;
const at = (second: number) => new Date(Date.UTC(2026, 10, 22, 10, 0, second));
const request = (queryId: string, className: string, second: number) => ({
  queryId,
  className,
  submittedAt: at(second).toISOString(),
});
const empty: SlotState = { holders: [], waiting: [] };

function holding(...ids: [string, string][]): SlotState {
  return {
    holders: ids.map(([queryId, className]) => ({ queryId, className, acquiredAt: at(0).toISOString() })),
    waiting: [],
  };
}

describe('admitInLine', () => {
  it('admits when the class has room and nobody of the class waits', () => {
    const { decision, changes } = admitInLine(empty, request('q1', 'etl', 1), policy, at(5), TTL);

    expect(decision.admitted).toBe(true);
    expect(changes.addHolder).toEqual({ queryId: 'q1', className: 'etl', acquiredAt: at(5).toISOString() });
  });

  it('is idempotent for a query that already holds a slot', () => {
    const { decision, changes } = admitInLine(
      holding(['q1', 'etl']),
      request('q1', 'etl', 1),
      policy,
      at(5),
      TTL,
    );

    expect(decision.admitted).toBe(true);
    expect(changes).toEqual({ removeTickets: [] });
  });

  it('gives a refused query a ticket and tells it how many are ahead', () => {
    let state = holding(['e1', 'explore'], ['e2', 'explore']);
    const first = admitInLine(state, request('e3', 'explore', 3), policy, at(10), TTL);
    state = applySlotChanges(state, first.changes);
    const second = admitInLine(state, request('e4', 'explore', 4), policy, at(11), TTL);

    expect(first.decision).toMatchObject({
      admitted: false,
      ahead: 0,
      reason: 'explore is at its cap of 2 running queries',
    });
    expect(second.decision).toMatchObject({
      admitted: false,
      ahead: 1,
      reason: 'explore is at its cap of 2 running queries; 1 query ahead of this one',
    });
  });

  it('keeps a newcomer from jumping the line when a slot frees before the older query looks again', () => {
    let state = holding(['e1', 'explore'], ['e2', 'explore']);
    state = applySlotChanges(
      state,
      admitInLine(state, request('old', 'explore', 3), policy, at(10), TTL).changes,
    );
    state = { ...state, holders: state.holders.filter((h) => h.queryId !== 'e1') };

    const newcomer = admitInLine(state, request('new', 'explore', 20), policy, at(21), TTL);
    const older = admitInLine(state, request('old', 'explore', 3), policy, at(22), TTL);

    expect(newcomer.decision).toMatchObject({
      admitted: false,
      reason:
        'explore has a free slot, but older queries of explore are first in line; 1 query ahead of this one',
    });
    expect(older.decision.admitted).toBe(true);
    expect(older.changes.removeTickets).toContain('old');
  });

  it('lets a newcomer in alongside older waiters when the class has room for all of them', () => {
    const state: SlotState = {
      holders: [],
      waiting: [{ ...request('old', 'etl', 1), lastSeenAt: at(5).toISOString() }],
    };

    expect(admitInLine(state, request('new', 'etl', 2), policy, at(6), TTL).decision.admitted).toBe(true);
  });

  it('drops tickets not renewed within the TTL, so a cancelled query does not block the line', () => {
    let state = holding(['e1', 'explore']);
    state = { ...state, waiting: [{ ...request('gone', 'explore', 1), lastSeenAt: at(0).toISOString() }] };

    const later = new Date(at(0).getTime() + TTL + 1);
    const { decision, changes } = admitInLine(state, request('new', 'explore', 2), policy, later, TTL);

    expect(decision.admitted).toBe(true);
    expect(changes.removeTickets).toEqual(['gone', 'new']);
  });

  it('does not make other classes wait behind a class line', () => {
    let state = holding(['e1', 'explore'], ['e2', 'explore']);
    state = applySlotChanges(
      state,
      admitInLine(state, request('e3', 'explore', 3), policy, at(10), TTL).changes,
    );

    expect(admitInLine(state, request('t1', 'etl', 11), policy, at(12), TTL).decision.admitted).toBe(true);
  });
});
