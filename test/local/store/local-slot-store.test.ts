import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type AdmissionPolicy, usageOf } from '../../../functions/core/admission';
import { LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb';
import { LOCAL_TABLE_SCHEMAS, LOCAL_TABLES } from '../../../local/store/local-names';
import { LocalSlotStore } from '../../../local/store/local-slot-store';
import { tempDatabase } from './temp-db';

const POLICY: AdmissionPolicy = {
  capacity: 6,
  classes: {
    fast: { guaranteedSlots: 2, maxSlots: 4 },
    long: { guaranteedSlots: 1, maxSlots: 3 },
    adhoc: { guaranteedSlots: 0, maxSlots: 2 },
  },
};

function expectWithinCaps(holders: readonly { className: string }[]) {
  const usage = usageOf(holders);
  expect(holders.length).toBeLessThanOrEqual(POLICY.capacity);
  for (const [name, used] of Object.entries(usage))
    expect(used).toBeLessThanOrEqual(POLICY.classes[name].maxSlots);
  // Guarantees stay reserved: used-or-guaranteed never passes capacity.
  const reserved = Object.entries(POLICY.classes).reduce(
    (sum, [name, c]) => sum + Math.max(usage[name] ?? 0, c.guaranteedSlots),
    0,
  );
  expect(reserved).toBeLessThanOrEqual(POLICY.capacity);
}

describe('LocalSlotStore', () => {
  let store: ReturnType<typeof tempDatabase>;
  let dynamodb: LocalDynamoDb;
  let slots: LocalSlotStore;

  beforeEach(() => {
    store = tempDatabase();
    dynamodb = new LocalDynamoDb(store.db, LOCAL_TABLE_SCHEMAS);
    slots = new LocalSlotStore(dynamodb, { clock: () => new Date('2026-01-01T00:00:00.000Z') });
  });
  afterEach(() => store.close());

  it('keeps the item layout the state machine releases from', async () => {
    await slots.acquire('q1', 'fast', POLICY);
    expect(dynamodb.getDocument(LOCAL_TABLES.slots, { id: 'slots' })).toEqual({
      id: 'slots',
      holders: { q1: { className: 'fast', acquiredAt: '2026-01-01T00:00:00.000Z' } },
      waiting: {},
      version: 1,
    });
  });

  it('never passes the caps under many concurrent acquires', async () => {
    const classes = ['fast', 'long', 'adhoc'];
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => slots.acquire(`q${i}`, classes[i % 3], POLICY)),
    );
    const holders = await slots.holders();
    expect(results.filter((r) => r.admitted)).toHaveLength(holders.length);
    expect(holders.length).toBe(POLICY.capacity);
    expectWithinCaps(holders);
    const refused = results.find((r) => !r.admitted);
    expect(refused).toMatchObject({ admitted: false, reason: expect.stringMatching(/cap|slots are in use/) });
  });

  it('never passes the caps when other threads acquire on their own connections', async () => {
    const classes = ['fast', 'long', 'adhoc'];
    const runWorker = (worker: number) =>
      new Promise<string[]>((resolve, reject) => {
        const thread = new Worker(
          `require('tsx/cjs/api').register(); require(${JSON.stringify(join(__dirname, 'slot-worker.ts'))});`,
          { eval: true, workerData: { dir: store.dir, worker, attempts: 12, policy: POLICY, classes } },
        );
        thread.once('message', (message) =>
          Array.isArray(message) ? resolve(message) : reject(new Error(message.error)),
        );
        thread.once('error', reject);
      });
    const admitted = (await Promise.all([0, 1, 2, 3].map(runWorker))).flat();
    const holders = await slots.holders();
    expect(holders.map((h) => h.queryId).sort()).toEqual([...admitted].sort());
    expect(holders.length).toBe(POLICY.capacity);
    expectWithinCaps(holders);
  });

  it('admits a query that already holds a slot again without taking a second one', async () => {
    await slots.acquire('q1', 'adhoc', POLICY);
    await slots.acquire('q2', 'adhoc', POLICY);
    const again = await slots.acquire('q1', 'adhoc', POLICY);
    expect(again).toEqual({ admitted: true, usage: { adhoc: 2 } });
    expect(await slots.holders()).toHaveLength(2);
  });

  it('refuses with the reason from the admission rule', async () => {
    await slots.acquire('q1', 'adhoc', POLICY);
    await slots.acquire('q2', 'adhoc', POLICY);
    expect(await slots.acquire('q3', 'adhoc', POLICY)).toMatchObject({
      admitted: false,
      limitingFactor: 'class-cap',
      usage: { adhoc: 2 },
    });
  });

  it('releases once: a second release says no slot was held', async () => {
    await slots.acquire('q1', 'fast', POLICY);
    expect(await slots.release('q1')).toBe(true);
    expect(await slots.release('q1')).toBe(false);
    expect(await slots.release('never')).toBe(false);
    expect(await slots.holders()).toEqual([]);
  });

  it('releases only the slot taken at the given time', async () => {
    await slots.acquire('q1', 'fast', POLICY);
    expect(await slots.releaseIfAcquiredAt('q1', '2025-12-31T00:00:00.000Z')).toBe(false);
    expect(await slots.releaseIfAcquiredAt('q1', '2026-01-01T00:00:00.000Z')).toBe(true);
  });

  it('recreates the slot item if it was deleted', async () => {
    await dynamodb.deleteItem({ TableName: LOCAL_TABLES.slots, Key: { id: { S: 'slots' } } });
    expect((await slots.acquire('q1', 'fast', POLICY)).admitted).toBe(true);
    expect(await slots.holders()).toEqual([
      { queryId: 'q1', className: 'fast', acquiredAt: '2026-01-01T00:00:00.000Z' },
    ]);
  });
});
