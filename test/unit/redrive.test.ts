import { parseConfig } from '../../contracts/config';
import type { QueryRecord } from '../../functions/core/query-record';
import { redriveDeferred } from '../../functions/core/redrive';
import { InMemoryLedger, InMemoryQueue, RecordingMetrics } from '../support/in-memory';

const config = parseConfig({
  classes: { etl: { guaranteedSlots: 1, maxSlots: 2 } },
  defaultClass: 'etl',
  redrive: { maxRedrives: 2, maxMessagesPerRun: 25 },
});

function deferredRecord(queryId: string, attempts: number): QueryRecord {
  return {
    queryId,
    className: 'etl',
    query: 'SELECT 1',
    database: 'default',
    catalog: 'AwsDataCatalog',
    submittedAt: '2026-11-22T10:00:00.000Z',
    status: 'DEFERRED',
    attempts,
    redrives: attempts - 1,
    updatedAt: '2026-11-22T10:01:00.000Z',
  };
}

function setup() {
  return {
    config,
    ledger: new InMemoryLedger(),
    metrics: new RecordingMetrics(),
    clock: () => new Date('2026-11-22T10:02:00.000Z'),
    deferred: new InMemoryQueue(),
    queries: new InMemoryQueue(),
    failed: new InMemoryQueue(),
  };
}

const deferredMessage = (queryId: string, attempt: number) =>
  JSON.stringify({ queryId, className: 'etl', attempt });

describe('redriveDeferred', () => {
  it('moves a deferred query back to the queries queue, QUEUED, counting the redrive', async () => {
    const deps = setup();
    await deps.ledger.create(deferredRecord('q1', 1));
    await deps.deferred.send(deferredMessage('q1', 2));

    const summary = await redriveDeferred(deps);

    expect(summary).toEqual({ redriven: 1, parked: 0, dropped: 0 });
    expect(deps.queries.bodies()).toEqual([{ queryId: 'q1', className: 'etl', attempt: 2 }]);
    expect(deps.deferred.messages).toHaveLength(0);
    expect(deps.ledger.records.get('q1')).toMatchObject({ status: 'QUEUED', redrives: 1 });
    expect(deps.metrics.counts).toContainEqual({
      name: 'RestartQueryCount',
      value: 1,
      dimensions: { className: 'etl' },
    });
  });

  it('redrives a message sent before the class was named className, as it came', async () => {
    const deps = setup();
    await deps.ledger.create(deferredRecord('q1', 1));
    const old = JSON.stringify({ queryId: 'q1', workgroup: 'etl', attempt: 2 });
    await deps.deferred.send(old);

    expect(await redriveDeferred(deps)).toEqual({ redriven: 1, parked: 0, dropped: 0 });
    expect(deps.queries.messages.map((m) => m.body)).toEqual([old]);
    expect(deps.metrics.counts).toContainEqual({
      name: 'RestartQueryCount',
      value: 1,
      dimensions: { className: 'etl' },
    });
  });

  it('parks a query past the redrive cap in the failed queue and records it FAILED with the reason', async () => {
    const deps = setup();
    await deps.ledger.create(deferredRecord('q1', 3));
    await deps.deferred.send(deferredMessage('q1', 4));

    const summary = await redriveDeferred(deps);

    expect(summary).toEqual({ redriven: 0, parked: 1, dropped: 0 });
    expect(deps.queries.messages).toHaveLength(0);
    expect(deps.failed.messages[0].attributes?.reason).toMatch(/redriven 2 times/);
    expect(deps.ledger.records.get('q1')).toMatchObject({
      status: 'FAILED',
      error: { code: 'RedriveLimitExceeded' },
    });
    expect(deps.metrics.total('RestartQueryCount')).toBe(0);
  });

  it('drops a deferred message whose query was cancelled meanwhile', async () => {
    const deps = setup();
    await deps.ledger.create({ ...deferredRecord('q1', 1), status: 'CANCELLED' });
    await deps.deferred.send(deferredMessage('q1', 2));

    expect(await redriveDeferred(deps)).toEqual({ redriven: 0, parked: 0, dropped: 1 });
    expect(deps.queries.messages).toHaveLength(0);
    expect(deps.deferred.messages).toHaveLength(0);
  });

  it('redrives again after a crash between the ledger write and the send, without losing the query', async () => {
    const deps = setup();
    // The crashed run had already set QUEUED but never sent or deleted the message.
    await deps.ledger.create({ ...deferredRecord('q1', 1), status: 'QUEUED', redrives: 1 });
    await deps.deferred.send(deferredMessage('q1', 2));

    expect((await redriveDeferred(deps)).redriven).toBe(1);
    expect(deps.queries.bodies()).toEqual([{ queryId: 'q1', className: 'etl', attempt: 2 }]);
  });

  it('stops after maxMessagesPerRun so one run stays bounded', async () => {
    const deps = setup();
    for (let i = 0; i < 40; i++) {
      await deps.ledger.create(deferredRecord(`q${i}`, 1));
      await deps.deferred.send(deferredMessage(`q${i}`, 2));
    }

    const summary = await redriveDeferred(deps);

    expect(summary.redriven).toBe(25);
    expect(deps.deferred.messages).toHaveLength(15);
  });

  it('parks a deferred message that is not a query message', async () => {
    const deps = setup();
    await deps.deferred.send('{"hello": 1}');

    expect((await redriveDeferred(deps)).parked).toBe(1);
    expect(deps.failed.messages[0].attributes?.reason).toBe(
      'the deferred message is not a valid query message',
    );
  });
});

describe('redriveDeferred races', () => {
  it('redrives a deferred message that arrives before the execution recorded DEFERRED', async () => {
    const deps = setup();
    // The execution sent the message (attempt 2) but has not written DEFERRED yet.
    await deps.ledger.create({ ...deferredRecord('q1', 1), status: 'RUNNING' });
    await deps.deferred.send(deferredMessage('q1', 2));

    expect(await redriveDeferred(deps)).toEqual({ redriven: 1, parked: 0, dropped: 0 });
    expect(deps.ledger.records.get('q1')).toMatchObject({ status: 'QUEUED', redrives: 1 });
    expect(deps.queries.bodies()).toEqual([{ queryId: 'q1', className: 'etl', attempt: 2 }]);
  });
});
