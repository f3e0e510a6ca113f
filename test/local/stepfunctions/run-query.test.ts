import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { parseConfig } from '../../../contracts/config';
import { cancelQuery } from '../../../functions/core/cancel-query';
import {
  checkTaskResources,
  executionControlOf,
  type HistoryEvent,
  UnsupportedTaskResourceError,
} from '../../../local/stepfunctions';
import { LOCAL_QUEUES, LOCAL_RUN_QUERY_SUBSTITUTIONS } from '../../../local/store/local-names';
import { taskFault } from '../../../local/test-faults';
import {
  EXECUTION_TIMEOUT_MARGIN_SECONDS,
  RunQueryStates,
  runQueryDefinition,
  runQueryTuning,
  substitutePlaceholders,
} from '../../../state-machines/run-query';
import { FakeAthena } from './fake-athena';
import { localRuntime, TEST_CONFIG, until } from './harness';

const retriesOf = (events: HistoryEvent[], state: string) =>
  events.filter((e) => e.type === 'StateRetried' && e.state.name === state).length;
const pathOf = (events: HistoryEvent[]) =>
  events.filter((e) => e.type === 'StateEntered').map((e) => e.state.name);

describe('run-query on the real ASL in the local Step Functions', () => {
  let runtime: Awaited<ReturnType<typeof localRuntime>>;
  afterEach(async () => runtime.close());

  it('keeps the result of a query that ends just as a pre-emption marks it QUEUED (no second run)', async () => {
    const athena = new FakeAthena(() => ({ kind: 'hang' }));
    runtime = await localRuntime(athena);
    const arn = await runtime.submit('q-race');
    await until('athena run', () => athena.runs.length === 1);
    // The dispatcher's pre-emption has written the ledger; the query ends before the stop arrives.
    expect(
      await runtime.parts.ledger.update('q-race', { status: 'QUEUED', preemptions: 1 }, ['RUNNING']),
    ).toBe(true);
    athena.finish('athena-1', 'SUCCEEDED');

    expect(await runtime.finished(arn)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await runtime.record('q-race')).toMatchObject({
      status: 'SUCCEEDED',
      athenaQueryExecutionId: 'athena-1',
    });
  });

  it('runs a query to SUCCEEDED: ledger filled from Athena, slot released, metrics counted', async () => {
    const athena = new FakeAthena();
    runtime = await localRuntime(athena);
    const arn = await runtime.submit('q-ok');

    const execution = await runtime.finished(arn);
    expect(execution).toMatchObject({
      status: 'SUCCEEDED',
      name: 'q-ok',
      executionArn: 'arn:aws:states:local:000000000000:execution:run-query:q-ok',
      stateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:run-query',
    });
    const record = await runtime.record('q-ok');
    expect(record).toMatchObject({
      status: 'SUCCEEDED',
      executionArn: arn,
      attempts: 1,
      athenaWorkGroup: 'athena-wlm-fast',
      athenaQueryExecutionId: 'athena-1',
      dataScannedBytes: 2048,
      engineTimeMs: 120,
      athenaQueueTimeMs: 30,
      totalTimeMs: 200,
      outputLocation: 's3://athena-wlm-results/athena-wlm-fast/athena-1.csv',
    });
    expect(record.reason).toBeUndefined();
    expect(Date.parse(record.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(record.startedAt!));
    expect(await runtime.holders()).toEqual([]);
    expect(runtime.parts.metrics.total('StartQueryCount', 5)).toBe(1);
    expect(runtime.parts.metrics.total('ThrottlingErrorCount', 5)).toBe(0);
    expect(athena.calls[0]).toMatchObject({
      QueryString: 'SELECT 1',
      WorkGroup: 'athena-wlm-fast',
      QueryExecutionContext: { Database: 'default', Catalog: 'AwsDataCatalog' },
    });

    const { events } = runtime.parts.sfn.getExecutionHistory(arn);
    expect(pathOf(events)).toEqual([
      'EnterLine',
      'MarkRunning',
      'StartQuery',
      'QuerySucceeded',
      'ReleaseSlot',
      'RouteOutcome',
      'RecordSucceeded',
      'Succeeded',
    ]);
    expect(events[0]).toMatchObject({ id: 1, type: 'ExecutionStarted' });
    expect(events.at(-1)).toMatchObject({ type: 'ExecutionSucceeded' });
    expect(events.every((e, i) => e.id === i + 1 && e.timestamp >= events[0].timestamp)).toBe(true);
    expect(runtime.closedExecutions.map((e) => e.name)).toEqual(['q-ok']);
  });

  it('throws the fault the harness injects, once, where it says: its Retry runs the state again', async () => {
    // What `ATHENA_WLM_TEST_FAULTS` asks of npm start in test/faults, here without a child process.
    const injectedFault = taskFault({
      taskThrowsOnce: { state: 'MarkRunning', nth: 2, error: 'DynamoDB.InternalServerErrorException' },
    });
    const athena = new FakeAthena();
    runtime = await localRuntime(athena, { injectedFault });
    const first = await runtime.submit('q-fault-1');
    expect((await runtime.finished(first)).status).toBe('SUCCEEDED');
    const second = await runtime.submit('q-fault-2');
    expect((await runtime.finished(second)).status).toBe('SUCCEEDED');
    const third = await runtime.submit('q-fault-3');
    expect((await runtime.finished(third)).status).toBe('SUCCEEDED');

    const retried = [first, second, third].map((arn) =>
      retriesOf(runtime.parts.sfn.getExecutionHistory(arn).events, 'MarkRunning'),
    );
    expect(retried).toEqual([0, 1, 0]);
    expect(athena.runs).toHaveLength(3);
  });

  it('retries TooManyRequestsException and counts each one, then succeeds with one Athena run', async () => {
    const athena = new FakeAthena((call) => (call <= 2 ? { kind: 'throttle' } : { kind: 'succeed' }));
    runtime = await localRuntime(athena);
    const arn = await runtime.submit('q-throttled');

    expect((await runtime.finished(arn)).status).toBe('SUCCEEDED');
    expect((await runtime.record('q-throttled')).status).toBe('SUCCEEDED');
    expect(runtime.parts.metrics.total('ThrottlingErrorCount', 5)).toBe(2);
    expect(runtime.parts.metrics.total('StartQueryCount', 5)).toBe(1);
    expect(athena.runs).toHaveLength(1);
    expect(retriesOf(runtime.parts.sfn.getExecutionHistory(arn).events, RunQueryStates.startQuery)).toBe(2);
  });

  it('defers a query whose throttling outlasts its retries: attempt + 1 on the deferred queue, ledger DEFERRED, slot released', async () => {
    const athena = new FakeAthena(() => ({ kind: 'throttle' }));
    runtime = await localRuntime(athena);
    const arn = await runtime.submit('q-deferred');

    expect((await runtime.finished(arn)).status).toBe('SUCCEEDED');
    expect(athena.calls).toHaveLength(TEST_CONFIG.throttleRetry.maxAttempts + 1);
    expect(athena.runs).toEqual([]);
    const record = await runtime.record('q-deferred');
    expect(record).toMatchObject({
      status: 'DEFERRED',
      reason: expect.stringMatching(/TooManyRequestsException/),
    });
    const deferred = runtime.parts.queues[LOCAL_QUEUES.deferred].receive(10);
    expect(deferred.map((m) => JSON.parse(m.body))).toEqual([
      { queryId: 'q-deferred', className: 'fast', workgroup: 'fast', attempt: 2 },
    ]);
    expect(await runtime.holders()).toEqual([]);
    expect(runtime.parts.metrics.total('ThrottlingErrorCount', 5)).toBe(
      TEST_CONFIG.throttleRetry.maxAttempts + 1,
    );
    expect(runtime.parts.metrics.total('StartQueryCount', 5)).toBe(0);
  });

  it("fails bad SQL with the engine's reason and never retries it", async () => {
    const reason = "SYNTAX_ERROR: line 1:8: mismatched input 'FROM'";
    const athena = new FakeAthena(() => ({ kind: 'fail', reason }));
    runtime = await localRuntime(athena);
    const arn = await runtime.submit('q-bad', { query: 'SELECT FROM' });

    const execution = await runtime.finished(arn);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed', cause: reason });
    expect(await runtime.record('q-bad')).toMatchObject({
      status: 'FAILED',
      reason,
      error: { code: 'States.TaskFailed', message: reason },
    });
    expect(athena.calls).toHaveLength(1);
    const { events } = runtime.parts.sfn.getExecutionHistory(arn);
    expect(retriesOf(events, RunQueryStates.startQuery)).toBe(0);
    expect(pathOf(events)).toContain('AthenaQueryFailed');
    expect(await runtime.holders()).toEqual([]);
  });

  it('fails a query Athena refuses at start with the Athena error name and message', async () => {
    const athena = new FakeAthena(() => ({
      kind: 'reject',
      name: 'InvalidRequestException',
      message: 'Unknown workgroup',
    }));
    runtime = await localRuntime(athena);
    const arn = await runtime.submit('q-refused');

    expect(await runtime.finished(arn)).toMatchObject({
      status: 'FAILED',
      error: 'Athena.InvalidRequestException',
    });
    expect(await runtime.record('q-refused')).toMatchObject({
      status: 'FAILED',
      error: { code: 'Athena.InvalidRequestException', message: 'Unknown workgroup' },
    });
    expect(athena.calls).toHaveLength(1);
  });

  it('records a query Athena cancelled (scan cutoff) as CANCELLED with the reason', async () => {
    const reason = 'Query cancelled: the query scanned more than the workgroup limit of 1000000000 bytes.';
    runtime = await localRuntime(new FakeAthena(() => ({ kind: 'cancel', reason })));
    const arn = await runtime.submit('q-cutoff');

    expect((await runtime.finished(arn)).status).toBe('FAILED');
    expect(await runtime.record('q-cutoff')).toMatchObject({
      status: 'CANCELLED',
      reason,
      cancelledBy: 'athena',
      error: { code: 'CANCELLED', message: reason },
    });
    expect(await runtime.holders()).toEqual([]);
  });

  it('skips a query cancelled before its execution started: nothing runs, the slot is released', async () => {
    const athena = new FakeAthena();
    runtime = await localRuntime(athena);
    const { ledger, sfn } = runtime.parts;
    await ledger.create({
      queryId: 'q-skip',
      className: 'fast',
      query: 'SELECT 1',
      database: 'default',
      catalog: 'AwsDataCatalog',
      submittedAt: new Date().toISOString(),
      status: 'CANCELLED',
      attempts: 0,
      redrives: 0,
      updatedAt: new Date().toISOString(),
    });
    const now = new Date();
    const input = {
      queryId: 'q-skip',
      className: 'fast',
      workgroup: 'fast',
      attempt: 1,
      submittedAt: now.toISOString(),
      waitUntil: new Date(now.getTime() + 60_000).toISOString(),
      queueWaitSeconds: 60,
      startQueryExecution: {
        QueryString: 'SELECT 1',
        WorkGroup: 'athena-wlm-fast',
        QueryExecutionContext: { Database: 'default', Catalog: 'AwsDataCatalog' },
        ClientRequestToken: 'a'.repeat(64),
      },
    };
    const { executionArn } = sfn.startExecution({ name: 'q-skip', input: JSON.stringify(input) });

    expect((await runtime.finished(executionArn)).status).toBe('SUCCEEDED');
    // The dispatcher gave it a slot (it cannot know the record is CANCELLED); MarkRunning refuses it.
    expect(pathOf(sfn.getExecutionHistory(executionArn).events)).toEqual([
      'EnterLine',
      'MarkRunning',
      'NotStartable',
      'ReleaseSlot',
      'RouteOutcome',
      'Skipped',
    ]);
    expect(athena.calls).toEqual([]);
    expect((await runtime.record('q-skip')).status).toBe('CANCELLED');
    expect(await runtime.holders()).toEqual([]);
  });

  it('aborts an execution on StopExecution and stops its Athena query', async () => {
    const athena = new FakeAthena(() => ({ kind: 'hang' }));
    runtime = await localRuntime(athena);
    const arn = await runtime.submit('q-stop');
    await athena.started(1);

    await runtime.parts.sfn.stopExecution(arn, { error: 'athena-wlm.Cancelled', cause: 'cancelled by ana' });

    expect(runtime.parts.sfn.describeExecution(arn)).toMatchObject({
      status: 'ABORTED',
      error: 'athena-wlm.Cancelled',
      cause: 'cancelled by ana',
      stopDate: expect.any(Date),
    });
    expect(athena.stops).toEqual(['athena-1']);
    const { events } = runtime.parts.sfn.getExecutionHistory(arn);
    expect(events.at(-1)?.type).toBe('ExecutionAborted');
    expect(pathOf(events)).toEqual(['EnterLine', 'MarkRunning', 'StartQuery']);
    expect(runtime.closedExecutions.map((e) => e.status)).toEqual(['ABORTED']);
    // An aborted execution never reaches ReleaseSlot: the execution-status rule gives its slot back.
    expect(await runtime.holders()).toEqual([]);
    // Stopping a closed execution changes nothing.
    await runtime.parts.sfn.stopExecution(arn, { error: 'other' });
    expect(runtime.parts.sfn.describeExecution(arn).error).toBe('athena-wlm.Cancelled');
  });

  it('runs an execution left RUNNING by a crash again, without a second Athena run', async () => {
    const athena = new FakeAthena(() => ({ kind: 'hang' }));
    runtime = await localRuntime(athena);
    const arn = await runtime.submit('q-crash');
    await athena.started(1);

    const { sfn } = await runtime.restart();
    expect(sfn.runningExecutions()).toEqual([arn]);
    expect(sfn.describeExecution(arn)).toMatchObject({ status: 'RUNNING', runs: 2 });
    // Athena kept running the query while the runtime was down; it ends now.
    await new Promise((resolve) => setTimeout(resolve, 20));
    athena.finish('athena-1', 'SUCCEEDED');

    expect((await runtime.finished(arn)).status).toBe('SUCCEEDED');
    expect(athena.runs).toEqual(['athena-1']);
    expect(athena.calls).toHaveLength(2);
    expect(athena.calls[1].ClientRequestToken).toBe(athena.calls[0].ClientRequestToken);
    expect(await runtime.record('q-crash')).toMatchObject({
      status: 'SUCCEEDED',
      athenaQueryExecutionId: 'athena-1',
      executionArn: arn,
    });
    const types = sfn.getExecutionHistory(arn).events.map((e) => e.type);
    expect(types.filter((t) => t === 'ExecutionStarted')).toHaveLength(2);
    expect(types).toContain('ExecutionRestarted');
    // The slot it was given before the crash was given to it again, then released once.
    expect(await runtime.holders()).toEqual([]);
  });
});

describe('waiting in line on the local Step Functions and dispatcher', () => {
  let runtime: Awaited<ReturnType<typeof localRuntime>>;
  afterEach(async () => runtime.close());
  /** fast may run one query at a time. */
  const oneFast = parseConfig({
    ...TEST_CONFIG,
    classes: {
      ...TEST_CONFIG.classes,
      fast: { ...TEST_CONFIG.classes.fast, guaranteedSlots: 0, maxSlots: 1 },
    },
  });

  it('keeps a query waiting at EnterLine while its class is at its cap, and starts it when the slot is released', async () => {
    // Prepare
    const athena = new FakeAthena(() => ({ kind: 'hang' }));
    runtime = await localRuntime(athena, { config: oneFast });
    const first = await runtime.submit('q-first');
    await athena.started(1);
    const second = await runtime.submit('q-second');
    await until(
      'q-second to wait in line',
      async () => (await runtime.record('q-second')).status === 'WAITING_FOR_SLOT',
    );

    // Assess: it waits on its task token, and its record says why.
    expect(await runtime.record('q-second')).toMatchObject({
      status: 'WAITING_FOR_SLOT',
      executionArn: second,
      reason: 'fast is at its cap of 1 running query',
    });
    expect(runtime.parts.tokens.size).toBe(1);
    expect(pathOf(runtime.parts.sfn.getExecutionHistory(second).events)).toEqual(['EnterLine']);
    expect((await runtime.holders()).map((h) => h.queryId)).toEqual(['q-first']);

    // Act: the first ends; its ReleaseSlot wakes the dispatcher, which starts the second.
    athena.finish('athena-1', 'SUCCEEDED');
    expect((await runtime.finished(first)).status).toBe('SUCCEEDED');
    await athena.started(2);
    athena.finish('athena-2', 'SUCCEEDED');

    // Assess
    expect((await runtime.finished(second)).status).toBe('SUCCEEDED');
    const record = await runtime.record('q-second');
    expect(record.status).toBe('SUCCEEDED');
    // MarkRunning removes the reason it waited for.
    expect(record.reason).toBeUndefined();
    expect(await runtime.holders()).toEqual([]);
    expect(runtime.parts.metrics.total('QueryAdmittedCount', 5)).toBe(2);
  });

  it('ends an execution waiting in line Skipped when its query is cancelled, without running it', async () => {
    const athena = new FakeAthena(() => ({ kind: 'hang' }));
    runtime = await localRuntime(athena, { config: oneFast });
    await runtime.submit('q-running');
    await athena.started(1);
    const waiting = await runtime.submit('q-waiting');
    await until(
      'q-waiting to wait',
      async () => (await runtime.record('q-waiting')).status === 'WAITING_FOR_SLOT',
    );

    const outcome = await cancelQuery('q-waiting', 'ana', {
      ledger: runtime.parts.ledger,
      wake: runtime.parts.wake,
      executions: executionControlOf(runtime.parts.sfn),
      clock: () => new Date(),
    });

    expect(outcome).toMatchObject({ kind: 'cancelled', previousStatus: 'WAITING_FOR_SLOT' });
    expect(await runtime.finished(waiting)).toMatchObject({ status: 'SUCCEEDED' });
    expect(pathOf(runtime.parts.sfn.getExecutionHistory(waiting).events)).toEqual(['EnterLine', 'Skipped']);
    expect((await runtime.record('q-waiting')).status).toBe('CANCELLED');
    expect(athena.calls).toHaveLength(1);
    expect(runtime.parts.tokens.size).toBe(0);
  });

  it('ends a query FAILED with QueueWaitExceeded when its class’s wait runs out, and drops it from its line', async () => {
    // Prepare: submitted 59 min 59 s ago, with a 60 min limit, behind a query that never ends.
    const config = parseConfig({
      ...oneFast,
      classes: { ...oneFast.classes, fast: { ...oneFast.classes.fast, maxQueueWaitMinutes: 60 } },
    });
    const athena = new FakeAthena(() => ({ kind: 'hang' }));
    runtime = await localRuntime(athena, { config });
    await runtime.submit('q-running');
    await athena.started(1);
    const late = await runtime.submit('q-late', { submittedAt: Date.now() - 60 * 60_000 + 1000 });

    // Act: EnterLine's own timeout (the seconds left, at least 1) ends the wait.
    const execution = await runtime.finished(late);

    // Assess
    expect(execution).toMatchObject({ status: 'FAILED', error: 'QueueWaitExceeded' });
    expect(pathOf(runtime.parts.sfn.getExecutionHistory(late).events)).toEqual([
      'EnterLine',
      'WaitedTooLong',
      'LeaveLine',
      'RecordNotStarted',
      'QueryDidNotSucceed',
    ]);
    expect(await runtime.record('q-late')).toMatchObject({
      status: 'FAILED',
      error: { code: 'QueueWaitExceeded' },
      reason: expect.stringContaining('maxQueueWaitMinutes of its class fast ran out'),
    });
    await runtime.dispatched();
    expect(await runtime.parts.dispatch.heads('fast', 10)).toEqual([]);
    expect((await runtime.holders()).map((h) => h.queryId)).toEqual(['q-running']);
  });
});

describe('Step Functions API semantics', () => {
  let runtime: Awaited<ReturnType<typeof localRuntime>>;
  afterEach(async () => runtime.close());

  it('returns the running execution for the same name and input, and ExecutionAlreadyExists otherwise', async () => {
    const athena = new FakeAthena(() => ({ kind: 'hang' }));
    runtime = await localRuntime(athena);
    const { sfn } = runtime.parts;
    const input = JSON.stringify({ queryId: 'nope', className: 'fast', attempt: 1 });
    const first = sfn.startExecution({ name: 'same', input });
    expect(sfn.startExecution({ name: 'same', input })).toEqual(first);
    expect(() => sfn.startExecution({ name: 'same', input: '{}' })).toThrow(
      expect.objectContaining({ name: 'ExecutionAlreadyExists' }),
    );
    await runtime.finished(first.executionArn);
    expect(() => sfn.startExecution({ name: 'same', input })).toThrow(
      expect.objectContaining({ name: 'ExecutionAlreadyExists' }),
    );
    expect(() => sfn.startExecution({ name: 'has space', input })).toThrow(
      expect.objectContaining({ name: 'InvalidName' }),
    );
    expect(() => sfn.startExecution({ name: 'x', input: '{' })).toThrow(
      expect.objectContaining({ name: 'InvalidExecutionInput' }),
    );
    expect(() => sfn.describeExecution('arn:nope')).toThrow(
      expect.objectContaining({ name: 'ExecutionDoesNotExist' }),
    );
  });

  it('lists executions newest first, by status, in pages', async () => {
    runtime = await localRuntime(new FakeAthena());
    const { sfn } = runtime.parts;
    const arns = [];
    for (const name of ['a', 'b', 'c']) {
      arns.push(await runtime.submit(name));
      await runtime.finished(arns.at(-1)!);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const page = sfn.listExecutions({ maxResults: 2 });
    expect(page.executions.map((e) => e.name)).toEqual(['c', 'b']);
    expect(
      sfn.listExecutions({ maxResults: 2, nextToken: page.nextToken }).executions.map((e) => e.name),
    ).toEqual(['a']);
    expect(sfn.listExecutions({ statusFilter: 'RUNNING' }).executions).toEqual([]);
    expect(sfn.listExecutions({ statusFilter: 'SUCCEEDED' }).executions).toHaveLength(3);
  });
});

describe('task handlers', () => {
  const definition = () =>
    JSON.parse(
      substitutePlaceholders(runQueryDefinition(runQueryTuning(TEST_CONFIG)), LOCAL_RUN_QUERY_SUBSTITUTIONS),
    ) as StateMachineDefinition;

  it('serves every Task state of run-query.asl.json', () => {
    expect(() => checkTaskResources(definition())).not.toThrow();
  });

  it('refuses at startup a Task state whose Resource has no local handler, naming both', () => {
    const changed = definition();
    const state = changed.States[RunQueryStates.releaseSlot];
    if (state.Type !== 'Task') throw new Error('ReleaseSlot is not a Task state');
    state.Resource = 'arn:aws:states:::lambda:invoke';
    expect(() => checkTaskResources(changed)).toThrow(UnsupportedTaskResourceError);
    expect(() => checkTaskResources(changed)).toThrow(
      /'ReleaseSlot' uses resource 'arn:aws:states:::lambda:invoke'/,
    );
  });
});

describe('timeouts', () => {
  let runtime: Awaited<ReturnType<typeof localRuntime>>;
  /**
   * Moves the fake clock a millisecond at a time until Athena has a query: the starter and dispatcher
   * also yield to the real event loop (setImmediate) between batches.
   */
  const untilAthenaRuns = async (athena: FakeAthena) => {
    for (let i = 0; i < 200 && athena.runs.length === 0; i++) {
      await jest.advanceTimersByTimeAsync(1);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  });
  afterEach(async () => {
    jest.useRealTimers();
    await runtime.close();
  });

  it('lets a query run for longer than a minute: a Task has no timeout unless the ASL sets one', async () => {
    const athena = new FakeAthena(() => ({ kind: 'hang' }));
    runtime = await localRuntime(athena);
    const arn = await runtime.submit('q-long');
    await untilAthenaRuns(athena);
    expect(athena.runs).toEqual(['athena-1']);

    await jest.advanceTimersByTimeAsync(5 * 60_000);
    athena.finish('athena-1', 'SUCCEEDED');
    await jest.advanceTimersByTimeAsync(10);

    expect((await runtime.finished(arn)).status).toBe('SUCCEEDED');
  });

  it("times an execution out after the definition's TimeoutSeconds and stops its Athena query", async () => {
    const config = parseConfig({
      ...TEST_CONFIG,
      classes: Object.fromEntries(
        Object.entries(TEST_CONFIG.classes).map(([name, c]) => [name, { ...c, timeoutMinutes: 1 }]),
      ),
    });
    const athena = new FakeAthena(() => ({ kind: 'hang' }));
    runtime = await localRuntime(athena, { config });
    const arn = await runtime.submit('q-forever');
    await untilAthenaRuns(athena);
    const timeoutSeconds = runtime.parts.runner.definition.TimeoutSeconds!;
    // The longest wait in line (maxQueueWaitMinutes, 180 by default) plus the run, with a margin.
    expect(timeoutSeconds).toBe((180 + 1) * 60 + EXECUTION_TIMEOUT_MARGIN_SECONDS);

    await jest.advanceTimersByTimeAsync(timeoutSeconds * 1000 + 10);

    expect(await runtime.finished(arn)).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(athena.stops).toEqual(['athena-1']);
    expect(runtime.parts.sfn.getExecutionHistory(arn).events.at(-1)?.type).toBe('ExecutionTimeout');
  });
});
