import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { parseConfig } from '../../contracts/config';
import { buildRunQueryInput } from '../../contracts/execution-input';
import { LEDGER_WRITE_FAILED } from '../../functions/core/reconcile-slots';
import { wakeEventSchema } from '../../functions/core/wake-event';
import { timeoutPathInParameters } from '../../local/stepfunctions/run-query-runner';
import {
  EXECUTION_TIMEOUT_MARGIN_SECONDS,
  RUN_QUERY_ASL_PATH,
  RUN_QUERY_PLACEHOLDERS,
  RunQueryStates,
  runQueryDefinition,
  runQueryTuning,
  substitutePlaceholders,
  THROTTLING_ERRORS,
} from '../../state-machines/run-query';
import {
  executionArnOf,
  runRunQuery,
  type TaskHandler,
  TEST_SUBSTITUTIONS,
  taskError,
  taskStateNames,
  taskTokenOf,
} from '../support/run-asl';

const SUBMITTED_AT = '2026-01-01T12:00:00.000Z';
const WAIT_UNTIL = '2026-01-01T15:00:00.000Z';
const inputWaiting = (queueWaitSeconds: number) =>
  buildRunQueryInput(
    { queryId: 'q1', className: 'etl', query: 'SELECT 1', database: 'default', catalog: 'AwsDataCatalog' },
    1,
    'athena-wlm-etl',
    { submittedAt: SUBMITTED_AT, waitUntil: WAIT_UNTIL, queueWaitSeconds },
  );
const input = inputWaiting(10_800);
const EXECUTION_ARN = executionArnOf('q1');

const THROTTLED = () =>
  taskError(
    'Athena.TooManyRequestsException',
    'You have exceeded the limit for the number of queries you can run concurrently.',
  );

function queryExecution(state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED', reason?: string) {
  return {
    QueryExecution: {
      QueryExecutionId: 'athena-123',
      Query: 'SELECT 1',
      ResultConfiguration: { OutputLocation: 's3://results/etl/athena-123.csv' },
      Status: { State: state, ...(reason ? { StateChangeReason: reason } : {}) },
      Statistics: {
        DataScannedInBytes: 2048,
        EngineExecutionTimeInMillis: 120,
        QueryQueueTimeInMillis: 30,
        TotalExecutionTimeInMillis: 200,
      },
    },
  };
}

/**
 * Handlers for every Task state that record the calls; StartQuery answers from a script. EnterLine
 * answers at once, as when the dispatcher completes the task token as soon as the query enters its line.
 */
function recordingHandlers(startQuery: TaskHandler) {
  const calls: { state: string; input: Record<string, unknown> }[] = [];
  const record =
    (state: string, handler: TaskHandler = () => ({})): TaskHandler =>
    async (taskInput) => {
      calls.push({ state, input: taskInput });
      return handler(taskInput);
    };
  const handlers: Record<string, TaskHandler> = Object.fromEntries(
    taskStateNames().map((name) => [name, record(name)]),
  );
  handlers[RunQueryStates.startQuery] = record(RunQueryStates.startQuery, startQuery);
  const callsTo = (state: string) => calls.filter((c) => c.state === state).map((c) => c.input);
  return { handlers, calls, callsTo };
}

function scripted(...steps: (() => unknown)[]): TaskHandler {
  let i = 0;
  return () => {
    const step = steps[Math.min(i++, steps.length - 1)];
    return step();
  };
}

const throwing = (error: Error) => () => {
  throw error;
};
const values = (call: Record<string, unknown>) =>
  call.ExpressionAttributeValues as Record<string, Record<string, unknown>>;
/** A message the execution sent to the wake queue, as the dispatcher parses it. */
const wakeEventOf = (call: Record<string, unknown>) => {
  expect(call).toMatchObject({ QueueUrl: TEST_SUBSTITUTIONS.WakeQueueUrl, MessageGroupId: 'dispatch' });
  return wakeEventSchema.parse(call.MessageBody);
};
/** What ends a wait in line that the dispatcher never answers: only EnterLine's own timeout. */
const neverAdmitted: TaskHandler = () => new Promise(() => {});

describe('run-query.asl.json', () => {
  it('is valid ASL (asl-validator)', () => {
    const result = aslValidator(JSON.parse(readFileSync(RUN_QUERY_ASL_PATH, 'utf8')));
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('has a substitution for every placeholder token and no unused substitution', () => {
    const text = readFileSync(RUN_QUERY_ASL_PATH, 'utf8');
    const used = new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual([...RUN_QUERY_PLACEHOLDERS].sort());
    expect(substitutePlaceholders(runQueryDefinition(), TEST_SUBSTITUTIONS)).not.toMatch(/\$\{/);
  });

  it('uses the native Athena .sync integration with a capped, jittered retry on throttling', () => {
    const definition = JSON.parse(runQueryDefinition());
    const startQuery = definition.States[RunQueryStates.startQuery];
    expect(startQuery.Resource).toBe('arn:aws:states:::athena:startQueryExecution.sync');
    const throttle = startQuery.Retry.find((r: { ErrorEquals: string[] }) =>
      r.ErrorEquals.includes('Athena.TooManyRequestsException'),
    );
    expect(throttle).toMatchObject({
      JitterStrategy: 'FULL',
      MaxAttempts: 6,
      BackoffRate: 2,
      MaxDelaySeconds: 60,
    });
    expect(throttle.ErrorEquals).toEqual([...THROTTLING_ERRORS]);
    // Nothing but throttling and Athena's transient server errors is retried.
    const retried = startQuery.Retry.flatMap((r: { ErrorEquals: string[] }) => r.ErrorEquals);
    expect(retried).not.toContain('States.ALL');
    expect(retried).not.toContain('States.TaskFailed');
  });

  it('fails with the error the reconciler knows when a result cannot be recorded', () => {
    const definition = JSON.parse(runQueryDefinition());
    expect(definition.States.LedgerWriteFailed).toMatchObject({ Type: 'Fail', Error: LEDGER_WRITE_FAILED });
  });

  it('applies the configured throttling retry and execution timeout to the definition', () => {
    const config = parseConfig({
      quota: { activeDmlQueries: 10 },
      defaultClass: 'a',
      classes: {
        a: { guaranteedSlots: 0, maxSlots: 1, timeoutMinutes: 5, maxQueueWaitMinutes: 600 },
        b: { guaranteedSlots: 0, maxSlots: 1, timeoutMinutes: 60, maxQueueWaitMinutes: 30 },
      },
      throttleRetry: { intervalSeconds: 5, backoffRate: 3, maxDelaySeconds: 90, maxAttempts: 2 },
    });
    const definition = JSON.parse(runQueryDefinition(runQueryTuning(config)));
    // The longest wait in line plus run of any class (a: 600 + 5 minutes), with a margin.
    expect(definition.TimeoutSeconds).toBe(605 * 60 + EXECUTION_TIMEOUT_MARGIN_SECONDS);
    expect(definition.States[RunQueryStates.startQuery].Retry[0]).toMatchObject({
      IntervalSeconds: 5,
      BackoffRate: 3,
      MaxDelaySeconds: 90,
      MaxAttempts: 2,
    });
  });

  it('waits in EnterLine with a timeout read from its input, which the local runtime reads from its Parameters', () => {
    const enterLine = JSON.parse(runQueryDefinition()).States[RunQueryStates.enterLine];
    expect(enterLine).toMatchObject({
      Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
      TimeoutSecondsPath: '$.queueWaitSeconds',
    });
    expect(enterLine.TimeoutSeconds).toBeUndefined();
    expect(timeoutPathInParameters(enterLine.TimeoutSecondsPath, enterLine.Parameters)).toBe(
      '$.MessageBody.queueWaitSeconds',
    );
  });

  it('enters its class line with its task token, then marks RUNNING, runs, releases its slot and records SUCCEEDED', async () => {
    const { handlers, calls, callsTo } = recordingHandlers(() => queryExecution('SUCCEEDED'));

    const result = await runRunQuery(input, handlers);

    expect(result.status).toBe('SUCCEEDED');
    expect(calls.map((c) => c.state)).toEqual([
      'EnterLine',
      'MarkRunning',
      'StartQuery',
      'ReleaseSlot',
      'RecordSucceeded',
    ]);
    // The enter event is one the dispatcher accepts: the query's place in line, its wait limit, its token.
    const [enter] = callsTo('EnterLine');
    // No deduplication id of its own: a retried send carries a new token, which the queue must not drop.
    expect(enter.MessageDeduplicationId).toBeUndefined();
    expect(enter.MessageGroupId).toBe('dispatch');
    expect(wakeEventOf(enter)).toEqual({
      type: 'enter',
      queryId: 'q1',
      className: 'etl',
      submittedAt: SUBMITTED_AT,
      waitUntil: WAIT_UNTIL,
      attempt: 1,
      // When the run entered EnterLine: a later run of the same attempt takes its place, not an earlier.
      sentAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      executionArn: EXECUTION_ARN,
      taskToken: taskTokenOf('q1'),
    });
    expect((enter.MessageBody as Record<string, unknown>).queueWaitSeconds).toBe(10_800);
    const [markRunning] = callsTo('MarkRunning');
    expect(markRunning).toMatchObject({ TableName: 'ledger', Key: { queryId: { S: 'q1' } } });
    expect(values(markRunning)[':executionArn']).toEqual({
      S: 'arn:aws:states:us-east-1:123456789012:execution:run-query:q1',
    });
    expect(values(markRunning)[':attempt']).toEqual({ N: '1' });
    expect(callsTo('StartQuery')).toEqual([input.startQueryExecution]);
    const [release] = callsTo('ReleaseSlot');
    expect(release.MessageDeduplicationId).toBe('q1:release');
    expect(wakeEventOf(release)).toEqual({ type: 'release', queryId: 'q1', executionArn: EXECUTION_ARN });
    expect(values(callsTo('RecordSucceeded')[0])).toMatchObject({
      ':succeeded': { S: 'SUCCEEDED' },
      ':athenaId': { S: 'athena-123' },
      ':scanned': { N: '2048' },
      ':engine': { N: '120' },
      ':queue': { N: '30' },
      ':total': { N: '200' },
      ':output': { S: 's3://results/etl/athena-123.csv' },
    });
  });

  it('retries TooManyRequestsException with the same request token and succeeds on the third try', async () => {
    const { handlers, callsTo } = recordingHandlers(
      scripted(throwing(THROTTLED()), throwing(THROTTLED()), () => queryExecution('SUCCEEDED')),
    );

    const result = await runRunQuery(input, handlers);

    expect(result.status).toBe('SUCCEEDED');
    const starts = callsTo('StartQuery');
    expect(starts).toHaveLength(3);
    expect(new Set(starts.map((s) => s.ClientRequestToken)).size).toBe(1);
    expect(callsTo('RecordSucceeded')).toHaveLength(1);
    expect(callsTo('SendToDeferredQueue')).toHaveLength(0);
  });

  it("runs the previous release's input (the class only as workgroup) to the line and the deferred queue", async () => {
    // A deploy updates the state machine before the functions: the old starter's executions run here.
    const { className: _, ...previousRelease } = input;
    const { handlers, callsTo } = recordingHandlers(throwing(THROTTLED()));

    const result = await runRunQuery(previousRelease, handlers);

    expect(result.status).toBe('SUCCEEDED');
    expect(callsTo('EnterLine')[0]).toMatchObject({ MessageBody: { className: 'etl' } });
    expect(callsTo('SendToDeferredQueue')[0]).toMatchObject({
      MessageBody: { queryId: 'q1', className: 'etl', workgroup: 'etl', attempt: 2 },
    });
  });

  it('defers a query after throttling outlasts its retries: attempt + 1 on the deferred queue, slot released', async () => {
    const { handlers, calls, callsTo } = recordingHandlers(throwing(THROTTLED()));

    const result = await runRunQuery(input, handlers);

    expect(result.status).toBe('SUCCEEDED');
    expect(callsTo('StartQuery')).toHaveLength(1 + 6);
    expect(callsTo('SendToDeferredQueue')).toEqual([
      {
        QueueUrl: TEST_SUBSTITUTIONS.DeferredQueueUrl,
        MessageBody: { queryId: 'q1', className: 'etl', workgroup: 'etl', attempt: 2 },
      },
    ]);
    expect(calls.map((c) => c.state).slice(-3)).toEqual([
      'ReleaseSlot',
      'SendToDeferredQueue',
      'RecordDeferred',
    ]);
    expect(values(callsTo('RecordDeferred')[0])[':deferred']).toEqual({ S: 'DEFERRED' });
    expect(callsTo('RecordFailed')).toHaveLength(0);
  });

  // Step Functions reports errors Athena's API does not model with the SDK's generic name and the
  // service's own code in the cause, as for any optimized integration.
  const ACCESS_DENIED = () =>
    taskError(
      'Athena.AmazonAthenaException',
      'User: arn:aws:sts::123456789012:assumed-role/run-query/x is not authorized to perform: athena:StartQueryExecution on resource: arn:aws:athena:eu-west-1:123456789012:workgroup/athena-wlm-etl (Service: AmazonAthena; Status Code: 400; Error Code: AccessDeniedException; Request ID: 1; Proxy: null)',
    );
  const RATE_EXCEEDED = () =>
    taskError(
      'Athena.AmazonAthenaException',
      'Rate exceeded (Service: AmazonAthena; Status Code: 400; Error Code: ThrottlingException; Request ID: 2; Proxy: null)',
    );

  it('fails a refused request (AccessDenied) at once with its reason, never as throttling', async () => {
    const { handlers, callsTo } = recordingHandlers(throwing(ACCESS_DENIED()));

    const result = await runRunQuery(input, handlers);

    expect(callsTo('StartQuery')).toHaveLength(1);
    expect(callsTo('SendToDeferredQueue')).toHaveLength(0);
    expect(values(callsTo('RecordFailed')[0])).toMatchObject({
      ':message': { S: expect.stringContaining('not authorized to perform: athena:StartQueryExecution') },
      ':error': { M: { code: { S: 'Athena.AmazonAthenaException' } } },
    });
    expect(result).toMatchObject({ status: 'FAILED', error: 'Athena.AmazonAthenaException' });
  });

  it("defers a start refused by Athena's API rate limit, and says so rather than blaming the quota", async () => {
    const { handlers, callsTo } = recordingHandlers(throwing(RATE_EXCEEDED()));

    const result = await runRunQuery(input, handlers);

    expect(result.status).toBe('SUCCEEDED');
    expect(callsTo('StartQuery')).toHaveLength(1);
    expect(callsTo('SendToDeferredQueue')).toEqual([
      expect.objectContaining({
        MessageBody: { queryId: 'q1', className: 'etl', workgroup: 'etl', attempt: 2 },
      }),
    ]);
    const reason = values(callsTo('RecordDeferred')[0])[':reason'].S as string;
    expect(reason).toContain('API rate limit');
    expect(reason).not.toContain('quota');
  });

  it('blames the quota only for TooManyRequestsException', async () => {
    const { handlers, callsTo } = recordingHandlers(throwing(THROTTLED()));

    await runRunQuery(input, handlers);

    expect(values(callsTo('RecordDeferred')[0])[':reason'].S).toContain('concurrent-query quota');
  });

  it('fails a query with bad SQL with Athena’s reason and never retries it', async () => {
    const reason = "line 1:8: Column 'nope' cannot be resolved";
    const { handlers, callsTo } = recordingHandlers(
      throwing(taskError('States.TaskFailed', JSON.stringify(queryExecution('FAILED', reason)))),
    );

    const result = await runRunQuery(input, handlers);

    expect(callsTo('StartQuery')).toHaveLength(1);
    expect(callsTo('ReleaseSlot')).toHaveLength(1);
    expect(values(callsTo('RecordFailed')[0])).toMatchObject({
      ':failed': { S: 'FAILED' },
      ':message': { S: reason },
      ':error': { M: { code: { S: 'States.TaskFailed' }, message: { S: reason } } },
    });
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed', cause: reason });
  });

  it('records CANCELLED with Athena’s reason when Athena cancels the query (scan cutoff)', async () => {
    const reason = 'Query cancelled! : Bytes scanned limit was exceeded';
    const { handlers, callsTo } = recordingHandlers(
      throwing(taskError('States.TaskFailed', JSON.stringify(queryExecution('CANCELLED', reason)))),
    );

    const result = await runRunQuery(input, handlers);

    expect(callsTo('StartQuery')).toHaveLength(1);
    expect(values(callsTo('RecordCancelled')[0])).toMatchObject({
      ':cancelled': { S: 'CANCELLED' },
      ':message': { S: reason },
    });
    expect(result).toMatchObject({ status: 'FAILED', error: 'CANCELLED' });
  });

  it('keeps a plain-text cause as the reason when the error is not Athena JSON', async () => {
    const { handlers, callsTo } = recordingHandlers(
      throwing(taskError('Athena.InvalidRequestException', 'WorkGroup athena-wlm-etl is not found')),
    );

    await runRunQuery(input, handlers);

    expect(callsTo('StartQuery')).toHaveLength(1);
    expect(values(callsTo('RecordFailed')[0])[':message']).toEqual({
      S: 'WorkGroup athena-wlm-etl is not found',
    });
  });

  it('runs nothing for a query cancelled just as it was admitted, and gives the slot back', async () => {
    const { handlers, calls, callsTo } = recordingHandlers(() => queryExecution('SUCCEEDED'));
    handlers[RunQueryStates.markRunning] = () => {
      throw taskError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');
    };

    const result = await runRunQuery(input, handlers);

    expect(result.status).toBe('SUCCEEDED');
    expect(calls.map((c) => c.state)).toEqual(['EnterLine', 'ReleaseSlot']);
    expect(wakeEventOf(callsTo('ReleaseSlot')[0])).toMatchObject({ type: 'release', queryId: 'q1' });
  });

  it.each([
    ['success', () => queryExecution('SUCCEEDED')],
    [
      'a failed run',
      throwing(taskError('States.TaskFailed', JSON.stringify(queryExecution('FAILED', 'bad')))),
    ],
    [
      'a cancelled run',
      throwing(taskError('States.TaskFailed', JSON.stringify(queryExecution('CANCELLED', 'cut')))),
    ],
    ['a deferral', throwing(THROTTLED())],
  ])(
    'wakes the dispatcher with its release exactly once, after the query ends, on %s',
    async (_, startQuery) => {
      const { handlers, calls, callsTo } = recordingHandlers(startQuery as TaskHandler);

      await runRunQuery(input, handlers);

      const states = calls.map((c) => c.state);
      expect(states.filter((s) => s === 'ReleaseSlot')).toHaveLength(1);
      expect(states.lastIndexOf('StartQuery')).toBeLessThan(states.indexOf('ReleaseSlot'));
      expect(wakeEventOf(callsTo('ReleaseSlot')[0])).toEqual({
        type: 'release',
        queryId: 'q1',
        executionArn: EXECUTION_ARN,
      });
    },
  );

  it('ends FAILED with QueueWaitExceeded when its wait in line runs out, and tells the dispatcher it left', async () => {
    // Prepare: one second left of the class's maxQueueWaitMinutes; the dispatcher never admits it.
    const { handlers, calls, callsTo } = recordingHandlers(() => queryExecution('SUCCEEDED'));
    handlers[RunQueryStates.enterLine] = neverAdmitted;

    // Act
    const began = Date.now();
    const result = await runRunQuery(inputWaiting(1), handlers);

    // Assess: EnterLine's own timeout (1 s) ended the wait.
    expect(Date.now() - began).toBeGreaterThanOrEqual(900);
    expect(calls.map((c) => c.state)).toEqual(['LeaveLine', 'RecordNotStarted']);
    const [leave] = callsTo('LeaveLine');
    expect(leave.MessageDeduplicationId).toBe('q1:leave');
    expect(wakeEventOf(leave)).toEqual({
      type: 'leave',
      why: 'timed-out',
      queryId: 'q1',
      className: 'etl',
      submittedAt: SUBMITTED_AT,
      executionArn: EXECUTION_ARN,
    });
    const [record] = callsTo('RecordNotStarted');
    // Only a query that never started ends here: a cancel or a start meanwhile is left alone.
    expect(record.ConditionExpression).toBe('#status IN (:queued, :waiting)');
    expect(values(record)).toMatchObject({
      ':failed': { S: 'FAILED' },
      ':queued': { S: 'QUEUED' },
      ':waiting': { S: 'WAITING_FOR_SLOT' },
      ':error': { M: { code: { S: 'QueueWaitExceeded' } } },
    });
    expect(values(record)[':message'].S).toContain(`waited for a slot until ${WAIT_UNTIL}`);
    expect(result).toMatchObject({ status: 'FAILED', error: 'QueueWaitExceeded' });
    // It never held a slot, so it gives none back.
    expect(callsTo('ReleaseSlot')).toEqual([]);
  });

  it('still records QueueWaitExceeded when telling the dispatcher fails (TTL removes its line item later)', async () => {
    const { handlers, callsTo } = recordingHandlers(() => queryExecution('SUCCEEDED'));
    handlers[RunQueryStates.enterLine] = neverAdmitted;
    handlers.LeaveLine = throwing(taskError('SQS.AmazonSQSException', 'unavailable'));

    const result = await runRunQuery(inputWaiting(1), handlers);

    expect(callsTo('RecordNotStarted')).toHaveLength(1);
    expect(result).toMatchObject({ status: 'FAILED', error: 'QueueWaitExceeded' });
  });

  it('ends Skipped, writing nothing, when the dispatcher fails its token because the query was cancelled', async () => {
    const { handlers, calls } = recordingHandlers(() => queryExecution('SUCCEEDED'));
    handlers[RunQueryStates.enterLine] = throwing(
      taskError('athena-wlm.Cancelled', 'The query was cancelled while it waited.'),
    );

    const result = await runRunQuery(input, handlers);

    expect(result.status).toBe('SUCCEEDED');
    expect(result.events.some((e) => e.type === 'StateEntered' && e.state?.name === 'Skipped')).toBe(true);
    // The cancel already wrote CANCELLED; nothing ran and no slot was held.
    expect(calls.map((c) => c.state)).toEqual([]);
  });

  it('ends FAILED with the dispatcher’s reason when it refuses the query (its class left the config)', async () => {
    const cause = "The query's workload class 'etl' is no longer in the config; submit it to another class.";
    const { handlers, calls, callsTo } = recordingHandlers(() => queryExecution('SUCCEEDED'));
    handlers[RunQueryStates.enterLine] = throwing(taskError('athena-wlm.UnknownClass', cause));

    const result = await runRunQuery(input, handlers);

    expect(calls.map((c) => c.state)).toEqual(['RecordNotStarted']);
    expect(values(callsTo('RecordNotStarted')[0])).toMatchObject({
      ':message': { S: cause },
      ':error': { M: { code: { S: 'athena-wlm.UnknownClass' }, message: { S: cause } } },
    });
    expect(result).toMatchObject({ status: 'FAILED', error: 'athena-wlm.UnknownClass', cause });
  });

  it('retries entering the line when SQS fails, then waits as usual', async () => {
    const { handlers, callsTo } = recordingHandlers(() => queryExecution('SUCCEEDED'));
    let tries = 0;
    handlers[RunQueryStates.enterLine] = () => {
      tries++;
      if (tries < 3) throw taskError('SQS.AmazonSQSException', 'Internal error');
      return { admittedAt: '2026-01-01T12:00:01.000Z', className: 'etl' };
    };

    const result = await runRunQuery(input, handlers);

    expect(result.status).toBe('SUCCEEDED');
    expect(tries).toBe(3);
    expect(callsTo('RecordSucceeded')).toHaveLength(1);
  });

  it('ends FAILED, never waiting, when the line cannot be joined after retries', async () => {
    const { handlers, calls } = recordingHandlers(() => queryExecution('SUCCEEDED'));
    handlers[RunQueryStates.enterLine] = throwing(taskError('SQS.AmazonSQSException', 'unavailable'));

    const result = await runRunQuery(input, handlers);

    expect(calls.map((c) => c.state)).toEqual(['RecordNotStarted']);
    expect(result).toMatchObject({ status: 'FAILED', error: 'SQS.AmazonSQSException' });
  });

  it('ends Skipped when the query was cancelled or ended before its wait could be recorded as over', async () => {
    const { handlers } = recordingHandlers(() => queryExecution('SUCCEEDED'));
    handlers[RunQueryStates.enterLine] = neverAdmitted;
    handlers.RecordNotStarted = throwing(
      taskError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed'),
    );

    const result = await runRunQuery(inputWaiting(1), handlers);

    expect(result.status).toBe('SUCCEEDED');
  });

  it('still records the outcome when the release cannot be sent (the reconciler frees the slot later)', async () => {
    const { handlers, callsTo } = recordingHandlers(() => queryExecution('SUCCEEDED'));
    handlers[RunQueryStates.releaseSlot] = () => {
      throw taskError('SQS.AmazonSQSException', 'try again');
    };

    const result = await runRunQuery(input, handlers);

    expect(result.status).toBe('SUCCEEDED');
    expect(callsTo('RecordSucceeded')).toHaveLength(1);
  });

  it('ends FAILED rather than losing a query the deferred queue cannot take', async () => {
    const { handlers, callsTo } = recordingHandlers(throwing(THROTTLED()));
    handlers[RunQueryStates.sendToDeferredQueue] = () => {
      throw taskError('SQS.AmazonSQSException', 'unavailable');
    };

    const result = await runRunQuery(input, handlers);

    expect(result).toMatchObject({ status: 'FAILED', error: 'DeferralFailed' });
    expect(values(callsTo('RecordFailed')[0])[':error']).toMatchObject({
      M: { code: { S: 'DeferralFailed' } },
    });
  });

  describe('a failed query with 250 KB of SQL', () => {
    const marker = 'needle-7f3a';
    const sql = `SELECT '${marker}' AS m, ${"'0123456789abcdef' AS c, ".repeat(10_000)}1 AS last FROM t`;
    const big = buildRunQueryInput(
      { queryId: 'q1', className: 'etl', query: sql, database: 'default', catalog: 'AwsDataCatalog' },
      1,
      'athena-wlm-etl',
      { submittedAt: SUBMITTED_AT, waitUntil: WAIT_UNTIL, queueWaitSeconds: 10_800 },
    );
    const reason = "line 1:9: Table 'default.t' does not exist";
    const report = JSON.stringify({
      QueryExecution: { ...queryExecution('FAILED', reason).QueryExecution, Query: sql },
    });
    /** Step Functions' limit on a state's input or output; past it, States.DataLimitExceeded ends the execution uncaught. */
    const STATE_LIMIT = 256 * 1024;

    function statesOf(events: unknown[]) {
      return (events as { state?: { name: string; input?: unknown; output?: unknown } }[])
        .filter((e) => e.state)
        .flatMap((e) =>
          [e.state?.input, e.state?.output]
            .filter((v) => v !== undefined)
            .map((v) => ({ name: e.state?.name, text: JSON.stringify(v) })),
        );
    }

    it.each([
      ['with the whole report as the cause', report, reason],
      [
        'with the report cut at 32,768 characters, as Step Functions keeps it',
        report.slice(0, 32_768),
        'athena-wlm-etl',
      ],
    ])(
      'ends FAILED with its reason %s, no state over 256 KiB or holding the SQL twice',
      async (_, cause, expected) => {
        expect(Buffer.byteLength(sql)).toBeGreaterThan(250_000);
        const { handlers, callsTo } = recordingHandlers(throwing(taskError('States.TaskFailed', cause)));

        const result = await runRunQuery(big, handlers);

        expect(result).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed' });
        expect(callsTo('ReleaseSlot')).toHaveLength(1);
        expect(values(callsTo('RecordFailed')[0])[':message'].S).toContain(expected);
        for (const state of statesOf(result.events)) {
          expect({ state: state.name, bytes: Buffer.byteLength(state.text) < STATE_LIMIT }).toEqual({
            state: state.name,
            bytes: true,
          });
          expect({ state: state.name, copies: state.text.split(marker).length - 1 <= 1 }).toEqual({
            state: state.name,
            copies: true,
          });
        }
      },
    );
  });
});
