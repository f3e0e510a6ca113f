import { DEFAULT_CONFIG, parseConfig } from '../../../contracts/config';
import { redriveDeferred } from '../../../functions/core/redrive';
import { DATABASE_FILE, MIGRATIONS } from '../../../local/store/database';
import { messageQueueOf, QueueError, SqliteQueue } from '../../../local/store/sqlite-queue';
import { manualClock, tempDatabase } from './temp-db';

describe('SqliteQueue', () => {
  let store: ReturnType<typeof tempDatabase>;
  let clock: ReturnType<typeof manualClock>;
  const queue = (name = 'queries', extra: Partial<ConstructorParameters<typeof SqliteQueue>[1]> = {}) =>
    new SqliteQueue(store.db, { name, clock, visibilityTimeoutSeconds: 30, ...extra });

  beforeEach(() => {
    store = tempDatabase();
    clock = manualClock();
  });
  afterEach(() => store.close());

  it('opens the database in WAL mode at the current schema version', () => {
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(store.db.name.endsWith(DATABASE_FILE)).toBe(true);
  });

  it('hides a received message for the visibility timeout, then delivers it again with a higher receive count', () => {
    const q = queue();
    q.send('hello');
    const [first] = q.receive(10);
    expect(first).toMatchObject({ body: 'hello', receiveCount: 1 });
    expect(q.receive(10)).toEqual([]);
    expect(q.stats()).toEqual({ visible: 0, inFlight: 1, delayed: 0 });

    clock.advance(29_999);
    expect(q.receive(10)).toEqual([]);
    clock.advance(1);
    const [again] = q.receive(10);
    expect(again).toMatchObject({ body: 'hello', receiveCount: 2, messageId: first.messageId });
    expect(again.receiptHandle).not.toBe(first.receiptHandle);
  });

  it('refuses to delete or extend a message with a stale receipt handle', () => {
    const q = queue();
    q.send('hello');
    const [first] = q.receive(1);
    clock.advance(30_000);
    const [second] = q.receive(1);

    expect(q.delete(first.receiptHandle)).toBe(false);
    expect(q.changeVisibility(first.receiptHandle, 600)).toBe(false);
    expect(q.depth()).toBe(1);
    expect(q.delete(second.receiptHandle)).toBe(true);
    expect(q.depth()).toBe(0);
  });

  it('changes the visibility of an in-flight message with its current handle', () => {
    const q = queue();
    q.send('wait for a slot');
    const [message] = q.receive(1);
    expect(q.changeVisibility(message.receiptHandle, 120)).toBe(true);
    clock.advance(119_000);
    expect(q.receive(1)).toEqual([]);
    clock.advance(1_000);
    expect(q.receive(1)).toHaveLength(1);
  });

  it('delays a message sent with delaySeconds', () => {
    const q = queue();
    q.send('later', { delaySeconds: 5 });
    expect(q.stats()).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
    expect(q.depth()).toBe(1);
    expect(q.receive(1)).toEqual([]);
    clock.advance(5_000);
    expect(q.receive(1).map((m) => m.body)).toEqual(['later']);
  });

  it('hands out messages oldest first, at most maxMessages', () => {
    const q = queue();
    for (const body of ['a', 'b', 'c']) {
      q.send(body);
      clock.advance(1);
    }
    expect(q.receive(2).map((m) => m.body)).toEqual(['a', 'b']);
    expect(q.receive(2).map((m) => m.body)).toEqual(['c']);
  });

  it('keeps attributes and queues apart', () => {
    const queries = queue('queries');
    const failed = queue('queries-failed');
    failed.send('parked', { attributes: { reason: 'bad message' } });
    expect(queries.receive(10)).toEqual([]);
    expect(failed.receive(10)[0].attributes).toEqual({ reason: 'bad message' });
  });

  it('moves a message to its dead-letter queue on the receive that would pass maxReceiveCount', () => {
    const q = queue('queries', { redrivePolicy: { deadLetterQueue: 'queries-failed', maxReceiveCount: 2 } });
    const dlq = queue('queries-failed');
    q.send('poison');
    for (let i = 1; i <= 2; i++) {
      expect(q.receive(1)[0].receiveCount).toBe(i);
      clock.advance(30_000);
    }
    expect(q.receive(1)).toEqual([]);
    expect(q.depth()).toBe(0);
    const [dead] = dlq.receive(1);
    expect(dead).toMatchObject({
      body: 'poison',
      receiveCount: 1,
      attributes: { deadLetterSourceQueue: 'queries' },
    });
  });

  it('fills a receive with the messages behind one that went to the dead-letter queue', () => {
    const q = queue('queries', { redrivePolicy: { deadLetterQueue: 'queries-failed', maxReceiveCount: 1 } });
    q.send('poison');
    q.receive(1);
    clock.advance(30_000);
    q.send('good');
    expect(q.receive(1).map((m) => m.body)).toEqual(['good']);
  });

  it('keeps messages, receive counts and in-flight state when the database is reopened', () => {
    queue().send('durable');
    queue().send('in flight');
    const [received] = queue().receive(1);
    store.reopen();

    const q = queue();
    expect(q.stats()).toEqual({ visible: 1, inFlight: 1, delayed: 0 });
    expect(q.delete(received.receiptHandle)).toBe(true);
    expect(q.receive(10).map((m) => m.body)).toEqual(['in flight']);
  });

  it('rejects what SQS rejects', () => {
    const q = queue();
    expect(() => q.send('')).toThrow(QueueError);
    expect(() => q.send('x', { delaySeconds: 901 })).toThrow(/delaySeconds/);
    expect(() => q.receive(11)).toThrow(/maxMessages/);
    expect(
      () =>
        new SqliteQueue(store.db, { name: 'q', redrivePolicy: { deadLetterQueue: 'q', maxReceiveCount: 1 } }),
    ).toThrow(/own dead-letter queue/);
  });

  it('serves the core redrive through the MessageQueue adapter', async () => {
    const config = parseConfig({
      ...DEFAULT_CONFIG,
      redrive: { everyMinutes: 1, maxMessagesPerRun: 10, maxRedrives: 3 },
    });
    const deferred = queue('queries-deferred');
    const queries = queue('queries');
    const failed = queue('queries-failed');
    deferred.send('not json');
    const summary = await redriveDeferred({
      config,
      ledger: {
        get: async () => undefined,
        create: async () => ({ created: true, record: {} as never }),
        update: async () => true,
      },
      metrics: { count: () => undefined, milliseconds: () => undefined },
      clock,
      deferred: messageQueueOf(deferred),
      queries: messageQueueOf(queries),
      failed: messageQueueOf(failed),
    });
    expect(summary).toEqual({ redriven: 0, parked: 1, dropped: 0 });
    expect(deferred.depth()).toBe(0);
    expect(failed.receive(1)[0]).toMatchObject({
      body: 'not json',
      attributes: { reason: 'the deferred message is not JSON' },
    });
  });
});
