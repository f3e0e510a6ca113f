import { parseConfig } from '../../contracts/config';
import { InMemoryDispatchStore } from '../../functions/adapters/memory/in-memory-dispatch-store';
import { InMemoryLedger } from '../../functions/adapters/memory/in-memory-ledger';
import type { DispatcherDeps } from '../../functions/core/dispatcher';
import type { TaskTokens } from '../../functions/core/ports';
import { StartRate } from '../../functions/core/start-rate';
import { DispatcherWorker, localWake } from '../../local/dispatcher-worker';
import { LOCAL_QUEUES } from '../../local/store/local-names';
import { SqliteQueue } from '../../local/store/sqlite-queue';
import { RecordingMetrics } from '../support/in-memory';
import { tempDatabase } from './store/temp-db';

const config = parseConfig({
  quota: { activeDmlQueries: 2, headroom: 0 },
  defaultClass: 'solo',
  classes: { solo: { guaranteedSlots: 0, maxSlots: 1 } },
});
const arn = (name: string) => `arn:aws:states:local:000000000000:execution:run-query:${name}`;

describe('the local dispatcher worker', () => {
  let db: ReturnType<typeof tempDatabase>;
  let worker: DispatcherWorker | undefined;
  let store: InMemoryDispatchStore;
  let queue: SqliteQueue;
  let completed: string[];

  beforeEach(() => {
    db = tempDatabase();
    queue = new SqliteQueue(db.db, { name: LOCAL_QUEUES.wake, visibilityTimeoutSeconds: 1 });
    store = new InMemoryDispatchStore();
    completed = [];
  });
  afterEach(async () => {
    await worker?.stop();
    db.close();
  });

  function start() {
    const tokens: TaskTokens = {
      succeed: async (token) => {
        completed.push(token);
        return 'ok';
      },
      fail: async () => 'ok',
    };
    const deps: DispatcherDeps = {
      config,
      store,
      tokens,
      ledger: new InMemoryLedger(),
      executions: {
        start: async () => ({ status: 'already-exists' }),
        stop: async () => undefined,
      },
      metrics: new RecordingMetrics(),
      clock: () => new Date(),
      rate: new StartRate(config.admission.startsPerSecond),
    };
    worker = new DispatcherWorker({ queue, deps });
    worker.start();
  }

  const enter = (queryId: string, second: number) =>
    localWake(queue).send({
      type: 'enter',
      queryId,
      className: 'solo',
      submittedAt: `2026-01-01T00:00:0${second}.000Z`,
      waitUntil: new Date(Date.now() + 3_600_000).toISOString(),
      attempt: 1,
      executionArn: arn(queryId),
      taskToken: `token-${queryId}`,
    });

  const eventually = async (what: string, done: () => boolean | Promise<boolean>, ms: number) => {
    const deadline = Date.now() + ms;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('applies each event as it is sent, one pass at a time, and starts the next query on a release', async () => {
    start();
    await enter('a', 1);
    await enter('b', 2);
    await eventually('a to be admitted', () => completed.length === 1, 2000);
    expect(completed).toEqual(['token-a']);
    await localWake(queue).send({ type: 'release', queryId: 'a', executionArn: arn('a') });
    await eventually('b to be admitted on a’s release', () => completed.length === 2, 2000);
    expect(completed).toEqual(['token-a', 'token-b']);
    expect((await store.holders()).map((h) => h.queryId)).toEqual(['b']);
    await eventually('the queue to be empty', () => queue.depth() === 0, 2000);
  });

  // On AWS the event source redelivers such an event by itself; locally the worker looks again when
  // the messages a pass left in flight become visible.
  it('applies the events a crashed pass left in flight once they become visible again, unprompted', async () => {
    // Prepare: b waits behind a; a's release was taken by a pass that never finished.
    await store.hold({
      queryId: 'a',
      className: 'solo',
      acquiredAt: new Date().toISOString(),
      executionArn: arn('a'),
    });
    await enter('b', 2);
    start();
    await eventually('b to join its line', async () => (await store.heads('solo', 10)).length === 1, 2000);
    await worker?.stop();
    await localWake(queue).send({ type: 'release', queryId: 'a', executionArn: arn('a') });
    expect(queue.receive(10)).toHaveLength(1);

    // Act: the dispatcher starts again; nothing else is sent.
    start();

    // Assess: the release is applied once visible again (1 s), and b starts.
    await eventually('the crashed pass’s release to be applied', () => completed.includes('token-b'), 3000);
  });
});
