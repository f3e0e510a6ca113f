import { DynamoDbDispatchStore } from '../../functions/adapters/aws/dynamodb-dispatch-store';
import { InMemoryDispatchStore } from '../../functions/adapters/memory/in-memory-dispatch-store';
import type { DispatchStore, LineEntry, SlotHolder } from '../../functions/core/ports';
import { LocalDocumentClient } from '../../local/dynamodb/local-document-client';
import { LocalDynamoDb } from '../../local/dynamodb/local-dynamodb';
import { LOCAL_TABLE_SCHEMAS, LOCAL_TABLES } from '../../local/store/local-names';
import { tempDatabase } from '../local/store/temp-db';

/**
 * The DispatchStore port's contract, run against each implementation: in memory (the simulator) and
 * the DynamoDB adapter on the local DynamoDB (the local runtime; on AWS the same class, whose requests
 * test/adapters/dynamodb-dispatch-store.test.ts checks against mocked DynamoDB).
 */

const ARN = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:run-query:${name}`;

function entry(queryId: string, submittedAt: string, overrides: Partial<LineEntry> = {}): LineEntry {
  return {
    queryId,
    className: 'fast',
    submittedAt,
    attempt: 1,
    executionArn: ARN(queryId),
    taskToken: `token-${queryId}`,
    waitUntil: '2026-01-01T03:00:00.000Z',
    enteredAt: submittedAt,
    ...overrides,
  };
}

function holder(queryId: string, overrides: Partial<SlotHolder> = {}): SlotHolder {
  return {
    queryId,
    className: 'fast',
    acquiredAt: '2026-01-01T00:00:00.000Z',
    executionArn: ARN(queryId),
    attempt: 1,
    ...overrides,
  };
}

const at = (second: number) => `2026-01-01T00:00:${String(second).padStart(2, '0')}.000Z`;

describe.each([
  ['in memory', () => ({ store: new InMemoryDispatchStore() as DispatchStore, close: () => {} })],
  [
    'the DynamoDB adapter on the local DynamoDB',
    () => {
      const database = tempDatabase();
      const client = new LocalDocumentClient(new LocalDynamoDb(database.db, LOCAL_TABLE_SCHEMAS));
      const store: DispatchStore = new DynamoDbDispatchStore(
        client.asDocumentClient(),
        LOCAL_TABLES.dispatch,
      );
      return { store, close: () => database.close() };
    },
  ],
])('DispatchStore contract: %s', (_name, make) => {
  let store: DispatchStore;
  let close: () => void;
  beforeEach(() => {
    ({ store, close } = make());
  });
  afterEach(() => close());

  it('keeps one line per class, oldest submission first, ties by queryId', async () => {
    for (const e of [
      entry('q-b', at(1)),
      entry('q-late', at(2)),
      entry('q-long', at(0), { className: 'long' }),
      entry('q-a', at(1)),
    ])
      await store.join(e);
    expect((await store.heads('fast', 10)).map((e) => e.queryId)).toEqual(['q-a', 'q-b', 'q-late']);
    expect((await store.heads('fast', 2)).map((e) => e.queryId)).toEqual(['q-a', 'q-b']);
    expect(await store.heads('long', 10)).toEqual([entry('q-long', at(0), { className: 'long' })]);
    expect(await store.heads('nobody', 10)).toEqual([]);
  });

  it('gives a query that enters its line again its new token at its old place', async () => {
    await store.join(entry('q1', at(1)));
    await store.join(entry('q2', at(2)));
    const again = entry('q1', at(1), {
      attempt: 2,
      taskToken: 'token-q1-again',
      executionArn: ARN('q1__r1'),
    });
    expect(await store.join(again)).toBe(true);
    expect(await store.heads('fast', 10)).toEqual([again, entry('q2', at(2))]);
  });

  it("never gives an older attempt's entry the place of a newer attempt", async () => {
    const newer = entry('q1', at(1), { attempt: 2, taskToken: 'token-q1-2', executionArn: ARN('q1__r1') });
    expect(await store.join(newer)).toBe(true);
    expect(await store.join(entry('q1', at(1)))).toBe(false);
    expect(await store.heads('fast', 10)).toEqual([newer]);
  });

  it("never gives an earlier run's entry of the same attempt the place of a later run (a late delivery)", async () => {
    // The local runtime runs an interrupted execution again from the start: same attempt, new token.
    const earlier = entry('q1', at(1), { sentAt: at(10), taskToken: 'token-run-1' });
    const later = entry('q1', at(1), { sentAt: at(20), taskToken: 'token-run-2' });
    expect(await store.join(later)).toBe(true);
    expect(await store.join(earlier)).toBe(false);
    expect(await store.heads('fast', 10)).toEqual([later]);
    // The same run's enter again (a redelivery), and one of the previous release without sentAt, may.
    expect(await store.join(later)).toBe(true);
    const withoutSentAt = entry('q1', at(1), { taskToken: 'token-previous-release' });
    expect(await store.join(withoutSentAt)).toBe(true);
    expect(await store.heads('fast', 10)).toEqual([withoutSentAt]);
    // An entry stored without sentAt gives way to the same attempt with one; an older attempt never.
    expect(await store.join(later)).toBe(true);
    const olderAttempt = entry('q1', at(1), { attempt: 0, sentAt: at(30), taskToken: 'token-attempt-0' });
    expect(await store.join(olderAttempt)).toBe(false);
    expect(await store.heads('fast', 10)).toEqual([later]);
  });

  it('takes a query out of its line and says what it was, once', async () => {
    await store.join(entry('q1', at(1)));
    const key = { queryId: 'q1', className: 'fast', submittedAt: at(1) };
    expect(await store.leave(key)).toEqual(entry('q1', at(1)));
    expect(await store.leave(key)).toBeUndefined();
    expect(await store.heads('fast', 10)).toEqual([]);
  });

  it('counts the queries ahead of one in its class, at most the limit', async () => {
    for (let s = 1; s <= 5; s++) await store.join(entry(`q${s}`, at(s)));
    await store.join(entry('other', at(0), { className: 'long' }));
    const key = (s: number) => ({ queryId: `q${s}`, className: 'fast', submittedAt: at(s) });
    expect(await store.ahead(key(1), 10)).toBe(0);
    expect(await store.ahead(key(4), 10)).toBe(3);
    expect(await store.ahead(key(5), 2)).toBe(2);
    await store.leave(key(2));
    expect(await store.ahead(key(4), 10)).toBe(2);
  });

  it('holds slots and frees one only for the execution it was given to (or any, when none is named)', async () => {
    await store.hold(holder('q1'));
    await store.hold(holder('q2'));
    await store.hold(holder('q3', { executionArn: undefined }));
    expect(await store.free('q1', ARN('q1__r1'))).toBe(false);
    expect(await store.free('q1', ARN('q1'))).toBe(true);
    expect(await store.free('q1', ARN('q1'))).toBe(false);
    expect(await store.free('q2')).toBe(true);
    expect(await store.free('q3', ARN('q3'))).toBe(true);
    expect(await store.free('never')).toBe(false);
    expect(await store.holders()).toEqual([]);
  });

  it('lists the holders as they were given, and a holder given again replaces the first', async () => {
    await store.hold(holder('q1'));
    await store.hold(holder('q2', { className: 'long' }));
    await store.hold(holder('q1', { preempting: true }));
    const byId = (holders: readonly SlotHolder[]) =>
      [...holders].sort((a, b) => a.queryId.localeCompare(b.queryId));
    expect(byId(await store.holders())).toEqual([
      holder('q1', { preempting: true }),
      holder('q2', { className: 'long' }),
    ]);
  });

  it('keeps why each class waits, and forgets it when told to', async () => {
    const status = { factor: 'class-cap', message: 'fast is at its cap of 2 running queries', since: at(1) };
    await store.setWaitStatus('fast', status);
    await store.setWaitStatus('long', { ...status, factor: 'capacity' });
    await store.setWaitStatus('long', undefined);
    expect(await store.waitStatus()).toEqual({ fast: status });
  });
});
