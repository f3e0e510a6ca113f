import type { QueryStatus } from '../../contracts/query-status';
import { CANCEL_STOP_ERROR, cancelQuery } from '../../functions/core/cancel-query';
import type { ExecutionControl } from '../../functions/core/ports';
import type { QueryRecord } from '../../functions/core/query-record';
import { InMemoryLedger, RecordingWake } from '../support/in-memory';

const NOW = new Date('2026-01-01T12:00:00.000Z');
const EXECUTION = 'arn:aws:states:us-east-1:1:execution:run-query:q1';

function setup(status: QueryStatus, overrides: Partial<QueryRecord> = {}) {
  const ledger = new InMemoryLedger();
  const wake = new RecordingWake();
  const stopped: { arn: string; error?: string }[] = [];
  const executions: Pick<ExecutionControl, 'stop'> = {
    stop: async (arn, _cause, error) => {
      stopped.push({ arn, error });
    },
  };
  ledger.records.set('q1', {
    queryId: 'q1',
    className: 'fast',
    query: 'SELECT 1',
    database: 'default',
    catalog: 'AwsDataCatalog',
    submittedAt: NOW.toISOString(),
    status,
    attempts: status === 'RUNNING' ? 1 : 0,
    redrives: 0,
    updatedAt: NOW.toISOString(),
    ...(status === 'RUNNING' ? { executionArn: EXECUTION } : {}),
    ...overrides,
  });
  return { ledger, wake, stopped, deps: { ledger, wake, executions, clock: () => NOW } };
}

describe('cancelQuery', () => {
  it('treats a query the caller may not cancel as not found, and changes nothing', async () => {
    const { ledger, wake, stopped, deps } = setup('RUNNING');
    const before = ledger.records.get('q1');

    const outcome = await cancelQuery('q1', 'mallory', deps, () => false);

    expect(outcome).toEqual({ kind: 'not-found' });
    expect(ledger.records.get('q1')).toEqual(before);
    expect(wake.events).toEqual([]);
    expect(stopped).toEqual([]);
  });

  it.each(['QUEUED', 'WAITING_FOR_SLOT', 'DEFERRED'] as const)(
    'cancels a %s query in the ledger with who and when, and takes it out of its line',
    async (status) => {
      const { ledger, wake, stopped, deps } = setup(status);
      const outcome = await cancelQuery('q1', 'alice', deps);
      expect(outcome).toMatchObject({ kind: 'cancelled', previousStatus: status });
      expect(ledger.records.get('q1')).toMatchObject({
        status: 'CANCELLED',
        cancelledBy: 'alice',
        finishedAt: NOW.toISOString(),
        error: { code: 'CancelledByUser' },
      });
      expect(stopped).toEqual([]);
      // The dispatcher drops it from its line and ends the execution that waits there.
      expect(wake.events).toEqual([
        { type: 'leave', why: 'cancelled', queryId: 'q1', className: 'fast', submittedAt: NOW.toISOString() },
      ]);
    },
  );

  it('cancels a RUNNING query: CANCELLED first, then stops its execution and gives its slot back', async () => {
    const { ledger, wake, stopped, deps } = setup('RUNNING');
    const order: string[] = [];
    const ledgerUpdate = ledger.update.bind(ledger);
    ledger.update = async (...args) => {
      order.push('ledger');
      return ledgerUpdate(...args);
    };
    deps.executions = {
      stop: async (arn, _cause, error) => {
        order.push('stop');
        stopped.push({ arn, error });
      },
    };
    const outcome = await cancelQuery('q1', 'alice', deps);
    expect(outcome).toMatchObject({ kind: 'cancelled', previousStatus: 'RUNNING' });
    expect(order).toEqual(['ledger', 'stop']);
    expect(stopped).toEqual([{ arn: EXECUTION, error: CANCEL_STOP_ERROR }]);
    expect(wake.events).toEqual([{ type: 'release', queryId: 'q1', executionArn: EXECUTION }]);
    expect(ledger.records.get('q1')?.status).toBe('CANCELLED');
  });

  it('keeps the slot and reports it when the execution cannot be stopped now (the reconciler will)', async () => {
    const { wake, deps } = setup('RUNNING');
    deps.executions = {
      stop: async () => {
        throw new Error('ThrottlingException');
      },
    };
    const outcome = await cancelQuery('q1', 'alice', deps);
    expect(outcome).toMatchObject({ kind: 'cancelled', stopError: 'ThrottlingException' });
    expect(wake.events).toEqual([]);
  });

  it.each(['SUCCEEDED', 'FAILED', 'CANCELLED'] as const)('does nothing to a %s query', async (status) => {
    const { ledger, stopped, deps } = setup(status);
    const before = ledger.records.get('q1');
    await expect(cancelQuery('q1', 'alice', deps)).resolves.toEqual({ kind: 'finished', record: before });
    expect(ledger.records.get('q1')).toBe(before);
    expect(stopped).toEqual([]);
  });

  it('answers not-found for an unknown query', async () => {
    const { deps } = setup('QUEUED');
    await expect(cancelQuery('nope', 'alice', deps)).resolves.toEqual({ kind: 'not-found' });
  });
});

describe('cancel racing a redrive', () => {
  it('does not cancel a newer attempt with the stop meant for the previous execution', async () => {
    const { cancelQuery } = await import('../../functions/core/cancel-query');
    const { InMemoryLedger, RecordingWake } = await import('../support/in-memory');
    const ledger = new InMemoryLedger();
    const base = {
      queryId: 'q1',
      className: 'etl',
      query: 'SELECT 1',
      database: 'default',
      catalog: 'AwsDataCatalog',
      submittedAt: '2026-11-22T10:00:00.000Z',
      status: 'RUNNING' as const,
      attempts: 1,
      redrives: 0,
      executionArn: 'arn:aws:states:us-east-1:1:execution:run-query:q1',
      updatedAt: '2026-11-22T10:00:01.000Z',
    };
    await ledger.create(base);
    // Between the cancel's read and its write, attempt 2 starts under a new execution.
    const read = ledger.get.bind(ledger);
    let reads = 0;
    ledger.get = async (id) => {
      const record = await read(id);
      if (reads++ === 0) {
        ledger.records.set('q1', { ...base, attempts: 2, executionArn: `${base.executionArn}__r1` });
        return { ...base };
      }
      return record && ledger.records.get(id);
    };
    const stopped: string[] = [];

    const outcome = await cancelQuery('q1', 'me', {
      ledger,
      wake: new RecordingWake(),
      executions: { stop: async (arn) => void stopped.push(arn) },
      clock: () => new Date('2026-11-22T10:01:00.000Z'),
    });

    expect(outcome.kind).toBe('cancelled');
    expect(stopped).toEqual([`${base.executionArn}__r1`]);
  });
});
