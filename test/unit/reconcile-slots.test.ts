import { DEFAULT_CONFIG, parseConfig } from '../../contracts/config';
import { parseExecutionName } from '../../contracts/execution-naming';
import type { QueryStatus } from '../../contracts/query-status';
import type { ExecutionStatus, SlotHolder } from '../../functions/core/ports';
import type { QueryRecord } from '../../functions/core/query-record';
import {
  judgeHolder,
  reconcileEndedExecution,
  reconcileSlots,
  TIME_LIMIT_STOP_ERROR,
} from '../../functions/core/reconcile-slots';
import { InMemoryDispatchStore, InMemoryLedger, RecordingWake } from '../support/in-memory';

const config = parseConfig(DEFAULT_CONFIG);
const NOW = new Date('2026-01-01T12:00:00.000Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();
const arn = (name: string) => `arn:aws:states:us-east-1:1:execution:run-query:${name}`;

const holder = (queryId: string, className = 'fast', acquiredMinutesAgo = 1): SlotHolder => ({
  queryId,
  className,
  acquiredAt: minutesAgo(acquiredMinutesAgo),
});

function record(queryId: string, status: QueryStatus, overrides: Partial<QueryRecord> = {}): QueryRecord {
  return {
    queryId,
    className: 'fast',
    query: 'SELECT 1',
    database: 'default',
    catalog: 'AwsDataCatalog',
    submittedAt: minutesAgo(3),
    status,
    attempts: 1,
    redrives: 0,
    updatedAt: minutesAgo(1),
    ...(status === 'RUNNING' ? { executionArn: arn(queryId), startedAt: minutesAgo(1) } : {}),
    ...overrides,
  };
}

describe('judgeHolder', () => {
  const judge = (h: SlotHolder, r: QueryRecord | undefined, s?: ExecutionStatus) =>
    judgeHolder(h, r, s, NOW, config);

  it.each(['SUCCEEDED', 'FAILED', 'CANCELLED'] as const)(
    'releases the slot of a %s query whose execution ended',
    (status) => {
      const r = record('q1', status, { executionArn: arn('q1') });
      expect(judge(holder('q1'), r)).toEqual({ action: 'describe', executionArn: arn('q1') });
      expect(judge(holder('q1'), r, 'SUCCEEDED')).toMatchObject({ action: 'release' });
    },
  );

  it('stops the execution of a query the ledger says is over but whose execution still runs', () => {
    const r = record('q1', 'CANCELLED', { executionArn: arn('q1') });
    expect(judge(holder('q1'), r, 'RUNNING')).toMatchObject({ action: 'stop', executionArn: arn('q1') });
    expect(judge(holder('q1'), r, 'RUNNING')).not.toHaveProperty('mark');
  });

  it('releases the slot of a DEFERRED query without looking at its execution', () => {
    expect(judge(holder('q1'), record('q1', 'DEFERRED'))).toMatchObject({ action: 'release' });
  });

  it.each([
    ['FAILED', 'FAILED', 'ExecutionFailed'],
    ['TIMED_OUT', 'FAILED', 'ExecutionTimedOut'],
    ['ABORTED', 'CANCELLED', 'ExecutionAborted'],
  ] as const)('releases a RUNNING query whose execution is %s and marks it %s', (execution, status, code) => {
    const verdict = judge(holder('q1'), record('q1', 'RUNNING'), execution);
    expect(verdict).toMatchObject({ action: 'release', mark: { status, code, onlyIf: ['RUNNING'] } });
    if (execution !== 'ABORTED') {
      expect(verdict).toMatchObject({
        mark: { reason: expect.stringContaining(`ended ${execution} without recording a result`) },
      });
    }
  });

  it('keeps a RUNNING query within its class time limit, and stops one past it (marking FAILED)', () => {
    expect(
      judge(holder('q1', 'fast', 4), record('q1', 'RUNNING', { startedAt: minutesAgo(4) }), 'RUNNING'),
    ).toMatchObject({
      action: 'keep',
    });
    expect(
      judge(holder('q1', 'fast', 6), record('q1', 'RUNNING', { startedAt: minutesAgo(6) }), 'RUNNING'),
    ).toMatchObject({
      action: 'stop',
      mark: { status: 'FAILED', code: 'QueryTimedOut', onlyIf: ['RUNNING'] },
    });
  });

  it('keeps a holder of a query about to start, and releases it once it is long overdue', () => {
    expect(judge(holder('q1', 'fast', 2), record('q1', 'QUEUED'))).toMatchObject({ action: 'keep' });
    expect(judge(holder('q1', 'fast', 11), record('q1', 'WAITING_FOR_SLOT'))).toMatchObject({
      action: 'release',
    });
    expect(judge(holder('q1', 'fast', 2), undefined)).toMatchObject({ action: 'keep' });
    expect(judge(holder('q1', 'fast', 11), undefined)).toMatchObject({ action: 'release' });
  });

  it('releases a RUNNING holder with no execution only past its class timeout plus margin', () => {
    const r = record('q1', 'RUNNING', { executionArn: undefined });
    expect(judge(holder('q1', 'fast', 9), r)).toMatchObject({ action: 'keep' });
    expect(judge(holder('q1', 'fast', 11), r)).toMatchObject({
      action: 'release',
      mark: { status: 'FAILED' },
    });
  });
});

describe('reconcileSlots', () => {
  function setup() {
    const ledger = new InMemoryLedger();
    const slots = new InMemoryDispatchStore();
    const statuses = new Map<string, ExecutionStatus>();
    const stopped: { arn: string; error?: string }[] = [];
    const described: string[] = [];
    const deps = {
      config,
      ledger,
      slots,
      wake: new RecordingWake(slots),
      clock: () => NOW,
      executions: {
        status: async (a: string) => {
          described.push(a);
          return statuses.get(a) ?? 'NOT_FOUND';
        },
        stop: async (a: string, _cause: string, error?: string) => {
          stopped.push({ arn: a, error });
        },
      },
    };
    const add = async (r: QueryRecord, h: SlotHolder, execution?: ExecutionStatus) => {
      ledger.records.set(r.queryId, r);
      await slots.hold(h);
      if (execution && r.executionArn) statuses.set(r.executionArn, execution);
    };
    return { ledger, slots, stopped, described, deps, add };
  }

  it('frees leaked slots, keeps live ones, and brings the ledger in line', async () => {
    // Prepare
    const { ledger, slots, deps, add } = setup();
    await add(record('live', 'RUNNING'), holder('live'), 'RUNNING');
    await add(record('dead', 'RUNNING'), holder('dead'), 'TIMED_OUT');
    await add(record('done', 'SUCCEEDED'), holder('done'));
    await add(record('deferred', 'DEFERRED'), holder('deferred'));
    // Act
    const summary = await reconcileSlots(deps);
    // Assess
    expect((await slots.holders()).map((h) => h.queryId)).toEqual(['live']);
    expect(summary.released.map((r) => r.queryId).sort()).toEqual(['dead', 'deferred', 'done']);
    expect(summary.marked).toEqual([{ queryId: 'dead', status: 'FAILED' }]);
    expect(ledger.records.get('dead')).toMatchObject({
      status: 'FAILED',
      error: { code: 'ExecutionTimedOut' },
    });
    expect(ledger.records.get('live')?.status).toBe('RUNNING');
  });

  it('marks FAILED before stopping a query past its time limit, then frees its slot', async () => {
    const { ledger, slots, stopped, deps, add } = setup();
    await add(record('slow', 'RUNNING', { startedAt: minutesAgo(7) }), holder('slow', 'fast', 7), 'RUNNING');
    const summary = await reconcileSlots(deps);
    expect(summary.stopped).toEqual(['slow']);
    expect(stopped).toEqual([{ arn: arn('slow'), error: TIME_LIMIT_STOP_ERROR }]);
    expect(ledger.records.get('slow')).toMatchObject({ status: 'FAILED', error: { code: 'QueryTimedOut' } });
    expect(await slots.holders()).toHaveLength(0);
  });

  it('does not stop a query that finished between the read and the ledger write', async () => {
    const { ledger, slots, stopped, deps, add } = setup();
    await add(record('slow', 'RUNNING', { startedAt: minutesAgo(7) }), holder('slow', 'fast', 7), 'RUNNING');
    const get = ledger.get.bind(ledger);
    ledger.get = async (id) => {
      const r = await get(id);
      ledger.records.set(id, { ...(r as QueryRecord), status: 'SUCCEEDED' });
      return r;
    };
    await reconcileSlots(deps);
    expect(stopped).toEqual([]);
    expect((await slots.holders()).map((h) => h.queryId)).toContain('slow');
  });

  it('bounds a run: at most maxDescribes executions looked up, the rest left for the next run', async () => {
    const { described, deps, add } = setup();
    for (let i = 0; i < 5; i++)
      await add(record(`q${i}`, 'RUNNING'), holder(`q${i}`, 'fast', 5 - i), 'RUNNING');
    const summary = await reconcileSlots(deps, { maxDescribes: 2, maxHolders: 4 });
    expect(described).toHaveLength(2);
    expect(summary.deferredToNextRun).toBe(3);
    expect(summary.examined).toBe(2);
  });

  it('looks first at the holders whose class time limit ends first, not at the oldest', async () => {
    const { stopped, deps, add } = setup();
    // Two long queries took their slots before a quick one that is now past its 5-minute limit.
    for (const id of ['long1', 'long2']) {
      await add(
        record(id, 'RUNNING', { className: 'long', startedAt: minutesAgo(30) }),
        holder(id, 'long', 30),
        'RUNNING',
      );
    }
    await add(
      record('quick', 'RUNNING', { startedAt: minutesAgo(7) }),
      holder('quick', 'fast', 7),
      'RUNNING',
    );
    const summary = await reconcileSlots(deps, { maxHolders: 1 });
    expect(stopped.map((s) => s.arn)).toEqual([arn('quick')]);
    expect(summary.deferredToNextRun).toBe(2);
  });
});

describe('reconcileEndedExecution', () => {
  async function setup(r: QueryRecord | undefined) {
    const ledger = new InMemoryLedger();
    const slots = new InMemoryDispatchStore();
    if (r) ledger.records.set(r.queryId, r);
    await slots.hold({ ...holder('q1'), executionArn: arn('q1') });
    return { ledger, slots, deps: { ledger, wake: new RecordingWake(slots), clock: () => NOW } };
  }

  it('maps an execution name back to its query and attempt', () => {
    expect(parseExecutionName('q1')).toEqual({ queryId: 'q1', attempt: 1 });
    expect(parseExecutionName('q1__r2')).toEqual({ queryId: 'q1', attempt: 3 });
  });

  it('frees the slot and records FAILED for a RUNNING query whose execution failed', async () => {
    const { ledger, slots, deps } = await setup(record('q1', 'RUNNING'));
    const result = await reconcileEndedExecution(
      { executionArn: arn('q1'), name: 'q1', status: 'FAILED' },
      deps,
    );
    expect(result).toEqual({ queryId: 'q1', released: true, marked: 'FAILED' });
    expect(await slots.holders()).toHaveLength(0);
    expect(ledger.records.get('q1')?.status).toBe('FAILED');
  });

  it('records CANCELLED for an execution aborted outside athena-wlm', async () => {
    const { ledger, deps } = await setup(record('q1', 'RUNNING'));
    await reconcileEndedExecution({ executionArn: arn('q1'), name: 'q1', status: 'ABORTED' }, deps);
    expect(ledger.records.get('q1')).toMatchObject({ status: 'CANCELLED', cancelledBy: 'step-functions' });
  });

  it('keeps the CANCELLED a user cancel wrote before the execution was aborted', async () => {
    const cancelled = record('q1', 'CANCELLED', { executionArn: arn('q1'), cancelledBy: 'alice' });
    const { ledger, deps } = await setup(cancelled);
    const result = await reconcileEndedExecution(
      { executionArn: arn('q1'), name: 'q1', status: 'ABORTED' },
      deps,
    );
    expect(result).toEqual({ queryId: 'q1', released: true });
    expect(ledger.records.get('q1')).toBe(cancelled);
  });

  it('leaves alone a query whose newer execution is running', async () => {
    const { slots, deps } = await setup(
      record('q1', 'RUNNING', { executionArn: arn('q1__r1'), attempts: 2 }),
    );
    const result = await reconcileEndedExecution(
      { executionArn: arn('q1'), name: 'q1', status: 'FAILED' },
      deps,
    );
    expect(result.released).toBe(false);
    expect(await slots.holders()).toHaveLength(1);
  });

  it('records FAILED for a query whose execution died before it could mark it RUNNING', async () => {
    const { ledger, deps } = await setup(record('q1', 'QUEUED', { attempts: 0 }));
    await reconcileEndedExecution({ executionArn: arn('q1'), name: 'q1', status: 'FAILED' }, deps);
    expect(ledger.records.get('q1')?.status).toBe('FAILED');
  });

  it('takes a query whose execution was stopped while it waited out of its line', async () => {
    const r = record('q1', 'WAITING_FOR_SLOT', { executionArn: arn('q1'), attempts: 0 });
    const { ledger, deps } = await setup(r);
    await reconcileEndedExecution({ executionArn: arn('q1'), name: 'q1', status: 'ABORTED' }, deps);
    expect((deps.wake as RecordingWake).events).toEqual([
      { type: 'release', queryId: 'q1', executionArn: arn('q1') },
      {
        type: 'leave',
        why: 'ended',
        queryId: 'q1',
        className: 'fast',
        submittedAt: r.submittedAt,
        executionArn: arn('q1'),
      },
    ]);
    expect(ledger.records.get('q1')?.status).toBe('CANCELLED');
  });
});

describe('an execution that could not record its result', () => {
  it('tells the user where the result is instead of asking for a resubmission', async () => {
    const { reconcileEndedExecution, LEDGER_WRITE_FAILED } = await import(
      '../../functions/core/reconcile-slots'
    );
    const { InMemoryLedger, RecordingWake } = await import('../support/in-memory');
    const ledger = new InMemoryLedger();
    await ledger.create({
      queryId: 'q1',
      className: 'etl',
      query: 'SELECT 1',
      database: 'default',
      catalog: 'AwsDataCatalog',
      submittedAt: '2026-11-22T10:00:00.000Z',
      status: 'RUNNING',
      attempts: 1,
      redrives: 0,
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:run-query:q1',
      updatedAt: '2026-11-22T10:00:01.000Z',
    });

    await reconcileEndedExecution(
      {
        executionArn: 'arn:aws:states:us-east-1:123456789012:execution:run-query:q1',
        name: 'q1',
        status: 'FAILED',
        error: LEDGER_WRITE_FAILED,
      },
      { ledger, wake: new RecordingWake(), clock: () => new Date('2026-11-22T10:05:00.000Z') },
    );

    const record = await ledger.get('q1');
    expect(record).toMatchObject({ status: 'FAILED', error: { code: LEDGER_WRITE_FAILED } });
    expect(record?.reason).toMatch(/read the result from Athena before submitting it again/);
  });
});
