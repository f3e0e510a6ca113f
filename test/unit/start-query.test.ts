import { parseConfig } from '../../contracts/config';
import { clientRequestToken } from '../../contracts/execution-naming';
import {
  handleQueryMessage,
  type StartQueryDeps,
  startQuery,
  startRetrySeconds,
} from '../../functions/core/start-query';
import { manualClock } from '../local/store/temp-db';
import { InMemoryLedger, InMemoryQueue, RecordingExecutions, RecordingMetrics } from '../support/in-memory';

const config = parseConfig({
  quota: { activeDmlQueries: 6, headroom: 1 },
  defaultClass: 'adhoc',
  classes: {
    etl: { guaranteedSlots: 2, maxSlots: 4, timeoutMinutes: 60 },
    adhoc: { guaranteedSlots: 0, maxSlots: 1 },
  },
});

const NOW = new Date('2026-11-22T10:00:05.000Z');
const SUBMITTED = Date.parse('2026-11-22T10:00:00.000Z');

function setup() {
  const deps = {
    config,
    ledger: new InMemoryLedger(),
    executions: new RecordingExecutions(),
    metrics: new RecordingMetrics(),
    clock: () => NOW,
  } satisfies StartQueryDeps;
  return deps;
}

async function recordOf(queryId: string) {
  const deps = setup();
  await startQuery(submission(queryId), 1, deps);
  return deps.ledger.records.get(queryId)!;
}

function submission(queryId: string, overrides: Record<string, unknown> = {}) {
  return JSON.stringify({
    className: 'etl',
    queryId,
    submittedAt: SUBMITTED,
    submittedBy: 'arn:aws:iam::123456789012:role/etl',
    body: { query: 'SELECT 1', userId: 'u-1' },
    ...overrides,
  });
}

describe('startQuery', () => {
  it('records a new query and starts its execution named after the queryId, with its place in line', async () => {
    const deps = setup();

    const outcome = await startQuery(submission('q1'), 1, deps);

    expect(outcome).toMatchObject({ kind: 'started', queryId: 'q1' });
    expect(deps.ledger.records.get('q1')).toMatchObject({
      status: 'QUEUED',
      className: 'etl',
      query: 'SELECT 1',
      database: 'default',
      catalog: 'AwsDataCatalog',
      userId: 'u-1',
      submittedBy: 'arn:aws:iam::123456789012:role/etl',
      submittedAt: '2026-11-22T10:00:00.000Z',
    });
    expect(deps.executions.started).toEqual([
      {
        name: 'q1',
        input: {
          queryId: 'q1',
          className: 'etl',
          workgroup: 'etl',
          attempt: 1,
          submittedAt: '2026-11-22T10:00:00.000Z',
          // maxQueueWaitMinutes (180) from submission, 5 s of which have passed.
          waitUntil: '2026-11-22T13:00:00.000Z',
          queueWaitSeconds: 180 * 60 - 5,
          startQueryExecution: {
            QueryString: 'SELECT 1',
            WorkGroup: 'athena-wlm-etl',
            QueryExecutionContext: { Database: 'default', Catalog: 'AwsDataCatalog' },
            ClientRequestToken: clientRequestToken('q1', 1),
          },
        },
      },
    ]);
  });

  it('passes execution parameters, database and catalog through to Athena', async () => {
    const deps = setup();
    const body = { query: 'SELECT ?', database: 'farm', catalog: 'other', executionParameters: ["'x'"] };

    await startQuery(submission('q2', { body }), 1, deps);

    expect(deps.executions.started[0].input.startQueryExecution).toMatchObject({
      QueryExecutionContext: { Database: 'farm', Catalog: 'other' },
      ExecutionParameters: ["'x'"],
    });
  });

  it('handles a duplicate delivery without a second execution', async () => {
    const deps = setup();
    await startQuery(submission('q1'), 1, deps);
    deps.ledger.records.set('q1', { ...deps.ledger.records.get('q1')!, status: 'RUNNING', attempts: 1 });

    const outcome = await startQuery(submission('q1'), 2, deps);

    expect(outcome).toMatchObject({ kind: 'duplicate', reason: 'attempt 1 was already started' });
    expect(deps.executions.started).toHaveLength(1);
  });

  it('treats two concurrent deliveries of one message as one start (same name, same input)', async () => {
    const deps = setup();

    const outcomes = await Promise.all([
      startQuery(submission('q1'), 1, deps),
      startQuery(submission('q1'), 1, deps),
    ]);

    expect(outcomes.map((o) => o.kind)).toEqual(['started', 'started']);
    expect(deps.executions.started).toHaveLength(1);
  });

  it('refuses a reused queryId with a different query, records nothing new and does not run it', async () => {
    const deps = setup();
    await startQuery(submission('q1'), 1, deps);

    const outcome = await startQuery(submission('q1', { body: { query: 'DROP TABLE x' } }), 1, deps);

    expect(outcome).toMatchObject({ kind: 'parked', queryId: 'q1' });
    expect(outcome.kind === 'parked' && outcome.reason).toMatch(/already used by a different query/);
    expect(deps.ledger.records.get('q1')?.query).toBe('SELECT 1');
    expect(deps.executions.started).toHaveLength(1);
  });

  it('refuses a reused queryId from another submitter even with the same SQL (on AWS the edge cannot)', async () => {
    const deps = setup();
    await startQuery(submission('q1'), 1, deps);

    const outcome = await startQuery(
      submission('q1', { submittedBy: 'arn:aws:iam::123456789012:user/mallory' }),
      1,
      deps,
    );

    expect(outcome).toMatchObject({ kind: 'parked', queryId: 'q1' });
    expect(deps.ledger.records.get('q1')?.submittedBy).toBe('arn:aws:iam::123456789012:role/etl');
    expect(deps.executions.started).toHaveLength(1);
  });

  it('starts the execution of a query whose class is full: it waits in its line, nothing polls', async () => {
    const deps = setup();
    await startQuery(submission('a1', { className: 'adhoc' }), 1, deps);

    const second = await startQuery(submission('a2', { className: 'adhoc' }), 1, deps);

    expect(second.kind).toBe('started');
    expect(deps.executions.started.map((s) => s.name)).toEqual(['a1', 'a2']);
    expect(deps.ledger.records.get('a2')?.status).toBe('QUEUED');
  });

  it('parks a message that is not JSON or not a query message, with the reason', async () => {
    const deps = setup();

    expect(await startQuery('not json', 1, deps)).toEqual({
      kind: 'parked',
      queryId: undefined,
      reason: 'the message is not JSON',
    });
    const bad = await startQuery(
      JSON.stringify({ className: 'etl', queryId: 'q9', submittedAt: 1, body: {} }),
      1,
      deps,
    );
    expect(bad).toMatchObject({ kind: 'parked', queryId: 'q9' });
    expect(bad.kind === 'parked' && bad.reason).toMatch(/body\.query/);
    expect(deps.executions.started).toHaveLength(0);
  });

  it('parks a query for an unknown class and records it FAILED with the reason', async () => {
    const deps = setup();

    const outcome = await startQuery(submission('q3', { className: 'nope' }), 1, deps);

    expect(outcome.kind).toBe('parked');
    expect(deps.ledger.records.get('q3')).toMatchObject({
      status: 'FAILED',
      error: { code: 'UnknownWorkgroup' },
    });
  });

  it('ends FAILED a query recorded at the edge whose class was removed before its message came', async () => {
    const deps = setup();
    await startQuery(submission('q4', { className: 'adhoc' }), 1, deps);
    await deps.ledger.update('q4', { status: 'QUEUED', className: 'gone' });

    const outcome = await startQuery(
      JSON.stringify({ className: 'gone', queryId: 'q4', attempt: 1 }),
      1,
      deps,
    );

    expect(outcome.kind).toBe('parked');
    expect(deps.ledger.records.get('q4')).toMatchObject({
      status: 'FAILED',
      error: { code: 'UnknownWorkgroup' },
      finishedAt: expect.any(String),
    });
  });

  it('drops a message whose query was cancelled meanwhile', async () => {
    const deps = setup();
    await startQuery(submission('a2', { className: 'adhoc' }), 1, deps);
    await deps.ledger.update('a2', { status: 'CANCELLED' });

    const outcome = await startQuery(submission('a2', { className: 'adhoc' }), 2, deps);

    expect(outcome).toMatchObject({ kind: 'duplicate', reason: 'the query already ended CANCELLED' });
  });

  it('starts a redriven attempt from the ledger record under the name queryId__rN with a new request token', async () => {
    const deps = setup();
    await startQuery(submission('q1'), 1, deps);
    await deps.ledger.update('q1', { status: 'QUEUED', attempts: 1, redrives: 1 });

    const outcome = await startQuery(
      JSON.stringify({ className: 'etl', queryId: 'q1', attempt: 2 }),
      1,
      deps,
    );

    expect(outcome.kind).toBe('started');
    const second = deps.executions.started[1];
    expect(second.name).toBe('q1__r1');
    expect(second.input.attempt).toBe(2);
    expect(second.input.startQueryExecution.ClientRequestToken).toBe(clientRequestToken('q1', 2));
    expect(second.input.startQueryExecution.ClientRequestToken).not.toBe(clientRequestToken('q1', 1));
    // Its place in line is still its submission: a redriven query is near the front of its line.
    expect(second.input.submittedAt).toBe('2026-11-22T10:00:00.000Z');
  });

  it('starts a message that names the class by its first name, workgroup (sent before the rename)', async () => {
    const deps = setup();
    await startQuery(submission('q1'), 1, deps);
    await deps.ledger.update('q1', { status: 'QUEUED', attempts: 1, redrives: 1 });

    const outcome = await startQuery(
      JSON.stringify({ workgroup: 'etl', queryId: 'q1', attempt: 2 }),
      1,
      deps,
    );

    expect(outcome.kind).toBe('started');
    expect(deps.executions.started[1].input).toMatchObject({ className: 'etl', attempt: 2 });
  });

  it('reads className when a message names the class both ways', async () => {
    const deps = setup();
    const both = submission('q1', { workgroup: 'adhoc' });

    expect((await startQuery(both, 1, deps)).kind).toBe('started');
    expect(deps.ledger.records.get('q1')?.className).toBe('etl');
  });

  it('drops a message whose execution name belongs to an execution that already exists', async () => {
    const deps = setup();
    await deps.ledger.create({ ...(await recordOf('q1')), status: 'QUEUED' });
    deps.executions.closedNames.add('q1');

    const outcome = await startQuery(submission('q1'), 3, deps);

    expect(outcome).toMatchObject({ kind: 'duplicate', reason: 'execution q1 already exists' });
  });

  it('ends a query that waited past its class queue limit FAILED with the reason', async () => {
    const deps = { ...setup(), clock: () => new Date(SUBMITTED + 181 * 60_000) };

    const outcome = await startQuery(submission('late'), 500, deps);

    expect(outcome.kind).toBe('parked');
    expect(deps.ledger.records.get('late')).toMatchObject({
      status: 'FAILED',
      error: { code: 'QueueWaitExceeded' },
      reason: expect.stringMatching(/^The query has waited 181 minutes since it was submitted to etl/),
    });
    expect(deps.executions.started).toHaveLength(0);
  });

  it('ends a query on its last receive before SQS would park it silently', async () => {
    const deps = setup();

    const outcome = await startQuery(
      submission('a2', { className: 'adhoc' }),
      config.admission.maxReceives - 1,
      deps,
    );

    expect(outcome.kind).toBe('parked');
    expect(deps.ledger.records.get('a2')).toMatchObject({
      status: 'FAILED',
      error: { code: 'TooManyReceives' },
    });
    expect(deps.executions.started).toHaveLength(0);
  });

  it('fails a query too long to pass through Step Functions instead of retrying it', async () => {
    const deps = setup();
    // Within the API's length check, but twice as long once its newlines are JSON-escaped.
    const query = `SELECT '${'\n'.repeat(200_000)}'`;

    const outcome = await startQuery(submission('big', { body: { query } }), 1, deps);

    expect(outcome.kind).toBe('parked');
    expect(deps.ledger.records.get('big')).toMatchObject({
      status: 'FAILED',
      error: { code: 'QueryTooLong' },
    });
    expect(deps.executions.started).toHaveLength(0);
  });
});

describe('handleQueryMessage', () => {
  /** The starter's queues in memory on a clock the test moves, and a ledger that fails while `down`. */
  function consumer() {
    const clock = manualClock(NOW.getTime());
    const queries = new InMemoryQueue({ clock, visibilityTimeoutSeconds: 180 });
    const failed = new InMemoryQueue({ clock });
    const state = { down: false };
    const ledger = new InMemoryLedger(clock);
    const create = ledger.create.bind(ledger);
    ledger.create = async (record) => {
      if (state.down) throw new Error('DynamoDB is unreachable');
      return create(record);
    };
    const deps = { ...setup(), ledger, clock, queries, failed };
    const next = async () => (await queries.receive(1))[0];
    return { deps, queries, failed, clock, state, next };
  }

  it('deletes a started message and a duplicate one', async () => {
    const { deps, queries, next } = consumer();
    await queries.send(submission('q1'));
    await queries.send(submission('q1'));
    deps.executions.closedNames.add('q2');
    await queries.send(submission('q2'));

    const first = await handleQueryMessage(await next(), deps);
    expect(first).toMatchObject({ kind: 'started', queryId: 'q1' });
    // Step Functions hands back the running execution of the same name and input.
    expect(await handleQueryMessage(await next(), deps)).toEqual(first);
    expect(await handleQueryMessage(await next(), deps)).toMatchObject({ kind: 'duplicate', queryId: 'q2' });

    expect(queries.messages).toHaveLength(0);
    expect(deps.executions.started).toHaveLength(1);
  });

  it('parks a message that can never run in the failed queue with its reason, then deletes it', async () => {
    const { deps, queries, failed, next } = consumer();
    await queries.send('not json');

    expect(await handleQueryMessage(await next(), deps)).toMatchObject({ kind: 'parked' });

    expect(queries.messages).toHaveLength(0);
    expect(failed.messages).toEqual([
      expect.objectContaining({ body: 'not json', attributes: { reason: 'the message is not JSON' } }),
    ]);
  });

  it('brings a message whose start failed back after a growing backoff, not the visibility timeout', async () => {
    const { deps, queries, clock, state, next } = consumer();
    await queries.send(submission('q1'));
    state.down = true;

    expect(await handleQueryMessage(await next(), deps)).toMatchObject({ kind: 'retry', retryInSeconds: 5 });
    clock.advance(4_999);
    expect(await next()).toBeUndefined();
    clock.advance(1);
    const second = await next();
    expect(second.receiveCount).toBe(2);
    expect(await handleQueryMessage(second, deps)).toMatchObject({ kind: 'retry', retryInSeconds: 10 });

    state.down = false;
    clock.advance(10_000);
    expect(await handleQueryMessage(await next(), deps)).toMatchObject({ kind: 'started', queryId: 'q1' });
    expect(queries.messages).toHaveLength(0);
  });

  it('keeps a message it could not park, to park it on a later receive', async () => {
    const { deps, queries, failed, clock, next } = consumer();
    await queries.send('not json');
    failed.send = async () => {
      throw new Error('SQS unavailable');
    };

    expect(await handleQueryMessage(await next(), deps)).toMatchObject({ kind: 'retry', retryInSeconds: 5 });
    clock.advance(5_000);
    expect((await next()).receiveCount).toBe(2);
  });

  it('doubles the backoff from 5 s up to 15 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 50].map(startRetrySeconds)).toEqual([
      5, 10, 20, 40, 80, 160, 320, 640, 900, 900,
    ]);
  });
});
