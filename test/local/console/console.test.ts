import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExecutionName } from '../../../contracts/execution-naming';
import { consoleDepsOf } from '../../../local/console/console-deps';
import {
  addConsoleRoutes,
  type ConsoleDeps,
  type ConsoleExecution,
  type ConsoleMetricName,
} from '../../../local/console/console-routes';
import { type ConsoleHistoryEvent, executionPath, historyRows } from '../../../local/console/execution-path';
import { stateGraphOf } from '../../../local/console/state-graph';
import { type RouteResponse, Router } from '../../../local/http/router';
import { RUN_QUERY_ASL_PATH, runQueryDefinition } from '../../../state-machines/run-query';
import { LONG_QUERY } from '../e2e/support';
import { FakeAthena } from '../stepfunctions/fake-athena';
import { localRuntime } from '../stepfunctions/harness';

// ---------- fixtures: event logs in aws-local-stepfunctions' shape ----------

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

/** Builds an event log one event per millisecond step, so elapsed times are predictable. */
function log() {
  const events: ConsoleHistoryEvent[] = [];
  let t = T0;
  const at = (ms = 10) => {
    t += ms;
    return t;
  };
  const api = {
    events,
    started() {
      events.push({ type: 'ExecutionStarted', timestamp: T0 });
      return api;
    },
    enter(name: string, type = 'Task') {
      events.push({ type: 'StateEntered', timestamp: at(), state: { name, type } });
      return api;
    },
    exit(name: string, type = 'Task') {
      events.push({ type: 'StateExited', timestamp: at(), state: { name, type } });
      return api;
    },
    fail(name: string, error: string, cause?: unknown) {
      events.push({
        type: 'StateFailed',
        timestamp: at(),
        state: { name, type: 'Task' },
        Error: error,
        Cause: cause,
      });
      return api;
    },
    retry(name: string, attempt: number) {
      events.push({
        type: 'StateRetried',
        timestamp: at(),
        state: { name, type: 'Task' },
        retry: { attempt },
      });
      return api;
    },
    caught(name: string, next: string) {
      events.push({
        type: 'StateCaught',
        timestamp: at(),
        state: { name, type: 'Task' },
        catch: { catcher: { ErrorEquals: ['States.ALL'], Next: next } },
      });
      return api;
    },
    pass(name: string, type = 'Pass') {
      return api.enter(name, type).exit(name, type);
    },
    end(type: string, error?: string, cause?: string) {
      events.push({ type, timestamp: at(), ...(error ? { Error: error, Cause: cause } : {}) });
      return api;
    },
  };
  return api;
}

const THROTTLED = 'Athena.TooManyRequestsException';

/** A run that was throttled twice, then succeeded. */
function throttledThenSucceeded() {
  return log()
    .started()
    .pass('EnterLine', 'Task')
    .pass('MarkRunning', 'Task')
    .enter('StartQuery')
    .fail('StartQuery', THROTTLED, 'Rate exceeded')
    .retry('StartQuery', 1)
    .fail('StartQuery', THROTTLED, 'Rate exceeded')
    .retry('StartQuery', 2)
    .exit('StartQuery')
    .pass('QuerySucceeded')
    .pass('ReleaseSlot', 'Task')
    .pass('RouteOutcome', 'Choice')
    .pass('RecordSucceeded', 'Task')
    .pass('Succeeded', 'Succeed')
    .end('ExecutionSucceeded').events;
}

/** A run whose SQL Athena rejected: the error is caught, recorded, and the execution fails. */
function badSqlFailed() {
  const cause = JSON.stringify({
    QueryExecution: {
      Status: { State: 'FAILED', StateChangeReason: "line 1:8: Column 'nope' cannot be resolved" },
    },
  });
  return log()
    .started()
    .pass('MarkRunning', 'Task')
    .enter('StartQuery')
    .fail('StartQuery', 'Athena.QueryFailed', cause)
    .caught('StartQuery', 'DescribeError')
    .exit('StartQuery')
    .pass('DescribeError', 'Choice')
    .pass('ParseCause')
    .pass('ReadAthenaStatus', 'Choice')
    .pass('AthenaQueryFailed')
    .pass('ReleaseSlot', 'Task')
    .pass('RouteOutcome', 'Choice')
    .pass('RecordFailed', 'Task')
    .enter('QueryDidNotSucceed', 'Fail')
    .fail('QueryDidNotSucceed', 'Athena.QueryFailed', "line 1:8: Column 'nope' cannot be resolved")
    .end('ExecutionFailed', 'Athena.QueryFailed', "line 1:8: Column 'nope' cannot be resolved").events;
}

// ---------- path and history ----------

describe('execution path', () => {
  it('counts the retries of StartQuery on one step and ends at the Succeed state', () => {
    const path = executionPath(throttledThenSucceeded());

    expect(path.steps.map((s) => s.state)).toEqual([
      'EnterLine',
      'MarkRunning',
      'StartQuery',
      'QuerySucceeded',
      'ReleaseSlot',
      'RouteOutcome',
      'RecordSucceeded',
      'Succeeded',
    ]);
    const startQuery = path.steps[2];
    expect(startQuery).toMatchObject({
      status: 'succeeded',
      retries: 2,
      retriedErrors: [THROTTLED, THROTTLED],
    });
    expect(startQuery.error).toBeUndefined();
    expect(path).toMatchObject({ end: 'SUCCEEDED', endState: 'Succeeded', totalRetries: 2 });
    expect(path.steps.every((s) => s.status === 'succeeded')).toBe(true);
  });

  it('shows a wait in line that ran out: EnterLine timed out, caught to WaitedTooLong, the query failed', () => {
    const events = log()
      .started()
      .enter('EnterLine')
      .fail('EnterLine', 'States.Timeout', 'Task timed out')
      .caught('EnterLine', 'WaitedTooLong')
      .exit('EnterLine')
      .pass('WaitedTooLong')
      .pass('LeaveLine', 'Task')
      .pass('RecordNotStarted', 'Task')
      .enter('QueryDidNotSucceed', 'Fail')
      .fail('QueryDidNotSucceed', 'QueueWaitExceeded', 'The query waited for a slot until ...')
      .end('ExecutionFailed', 'QueueWaitExceeded', 'The query waited for a slot until ...').events;

    const path = executionPath(events);

    expect(path.steps[0]).toMatchObject({
      state: 'EnterLine',
      status: 'caught',
      error: 'States.Timeout',
      caughtTo: 'WaitedTooLong',
    });
    expect(path.steps.map((s) => s.state)).toEqual([
      'EnterLine',
      'WaitedTooLong',
      'LeaveLine',
      'RecordNotStarted',
      'QueryDidNotSucceed',
    ]);
    expect(path).toMatchObject({ end: 'FAILED', endState: 'QueryDidNotSucceed', error: 'QueueWaitExceeded' });
  });

  it('shows a query still waiting in line as running at EnterLine', () => {
    const path = executionPath(log().started().enter('EnterLine').events);
    expect(path.steps).toEqual([expect.objectContaining({ state: 'EnterLine', status: 'running' })]);
    expect(path.end).toBeUndefined();
  });

  it('marks a caught error with where it went, and the Fail state as the failed end', () => {
    const path = executionPath(badSqlFailed());

    const startQuery = path.steps.find((s) => s.state === 'StartQuery');
    expect(startQuery).toMatchObject({
      status: 'caught',
      error: 'Athena.QueryFailed',
      caughtTo: 'DescribeError',
      retries: 0,
    });
    expect(startQuery?.cause).toContain('cannot be resolved');
    expect(path.steps[2].state).toBe('DescribeError');
    expect(path.steps.at(-1)).toMatchObject({
      state: 'QueryDidNotSucceed',
      status: 'failed',
      error: 'Athena.QueryFailed',
    });
    expect(path).toMatchObject({
      end: 'FAILED',
      endState: 'QueryDidNotSucceed',
      error: 'Athena.QueryFailed',
    });
  });

  it('shows throttling that outlasts the retries as retries, then a catch to ThrottledTooLong', () => {
    const l = log().started().pass('MarkRunning').enter('StartQuery');
    for (let i = 1; i <= 6; i++) l.fail('StartQuery', THROTTLED).retry('StartQuery', i);
    l.fail('StartQuery', THROTTLED).caught('StartQuery', 'ThrottledTooLong').exit('StartQuery');
    l.pass('ThrottledTooLong').pass('ReleaseSlot').pass('RouteOutcome', 'Choice');
    l.pass('SendToDeferredQueue')
      .pass('RecordDeferred')
      .pass('Deferred', 'Succeed')
      .end('ExecutionSucceeded');

    const path = executionPath(l.events);

    expect(path.steps[1]).toMatchObject({
      state: 'StartQuery',
      status: 'caught',
      retries: 6,
      error: THROTTLED,
      caughtTo: 'ThrottledTooLong',
    });
    expect(path).toMatchObject({ end: 'SUCCEEDED', endState: 'Deferred', totalRetries: 6 });
  });

  it('leaves a running execution without an end, its current state running', () => {
    const path = executionPath(log().started().pass('MarkRunning').enter('StartQuery').events);

    expect(path.end).toBeUndefined();
    expect(path.steps.at(-1)).toMatchObject({ state: 'StartQuery', status: 'running' });
  });

  it('marks the state a crash interrupted when the runtime ran the execution again', () => {
    const l = log().started().pass('MarkRunning').enter('StartQuery');
    l.events.push({ type: 'ExecutionRestarted', timestamp: T0 + 500, reason: 'the runtime restarted' });
    l.pass('MarkRunning').enter('StartQuery').exit('StartQuery');

    const path = executionPath(l.events);

    expect(path.restarts).toBe(1);
    expect(path.steps.map((s) => `${s.state}:${s.status}`)).toEqual([
      'MarkRunning:succeeded',
      'StartQuery:interrupted',
      'MarkRunning:succeeded',
      'StartQuery:succeeded',
    ]);
  });
});

describe('event history rows', () => {
  it('numbers events, times them from the start, and explains retries and catches', () => {
    const rows = historyRows(badSqlFailed());

    expect(rows[0]).toMatchObject({ id: 1, type: 'ExecutionStarted', elapsedMs: 0 });
    expect(rows[0].timestamp).toBe(new Date(T0).toISOString());
    const caught = rows.find((r) => r.type === 'StateCaught');
    expect(caught).toMatchObject({
      state: 'StartQuery',
      detail: 'caught Athena.QueryFailed, next DescribeError',
    });
    expect(rows.at(-1)).toMatchObject({ type: 'ExecutionFailed', error: 'Athena.QueryFailed' });
    expect(rows.map((r) => r.elapsedMs)).toEqual([...rows.map((r) => r.elapsedMs)].sort((a, b) => a - b));

    const retried = historyRows(throttledThenSucceeded()).filter((r) => r.type === 'StateRetried');
    expect(retried.map((r) => r.detail)).toEqual([
      `retry 1 after ${THROTTLED}`,
      `retry 2 after ${THROTTLED}`,
    ]);
  });

  it('keeps the stored sequence number when the log has one, and turns an object cause into JSON', () => {
    const rows = historyRows([
      { id: 7, type: 'ExecutionStarted', timestamp: T0 },
      {
        id: 8,
        type: 'StateFailed',
        timestamp: T0 + 5,
        state: { name: 'StartQuery', type: 'Task' },
        Error: 'E',
        Cause: { a: 1 },
      },
    ]);

    expect(rows.map((r) => r.id)).toEqual([7, 8]);
    expect(rows[1]).toMatchObject({ elapsedMs: 5, cause: '{"a":1}' });
  });
});

describe('state graph', () => {
  const graph = stateGraphOf(runQueryDefinition());

  it('has every state of the ASL file, starting at its StartAt', () => {
    const asl = JSON.parse(readFileSync(RUN_QUERY_ASL_PATH, 'utf8')) as { StartAt: string; States: object };
    expect(graph.startAt).toBe(asl.StartAt);
    expect(graph.states.map((s) => s.name).sort()).toEqual(Object.keys(asl.States).sort());
    expect(graph.states[0]).toMatchObject({ name: asl.StartAt, layer: 0 });
  });

  it("lists StartQuery's retry on throttling and its catch", () => {
    const startQuery = graph.states.find((s) => s.name === 'StartQuery');
    expect(startQuery?.retry[0]).toMatchObject({ errors: expect.arrayContaining([THROTTLED]) });
    expect(startQuery?.transitions).toEqual(
      expect.arrayContaining([
        { to: 'QuerySucceeded', kind: 'next' },
        expect.objectContaining({ to: 'QueryError', kind: 'catch' }),
      ]),
    );
  });

  it('puts every transition of the acyclic machine on a lower row, and marks the end states', () => {
    const layer = new Map(graph.states.map((s) => [s.name, s.layer]));
    for (const s of graph.states) {
      for (const t of s.transitions) expect(layer.get(t.to)).toBeGreaterThan(s.layer);
    }
    const terminal = graph.states.filter((s) => s.terminal).map((s) => s.name);
    expect(terminal.sort()).toEqual([
      'Deferred',
      'LedgerWriteFailed',
      'QueryDidNotSucceed',
      'Skipped',
      'Succeeded',
    ]);
  });

  it('applies the config tuning, so the drawn retry cap is the one that runs', () => {
    const tuned = stateGraphOf(
      runQueryDefinition({
        throttleRetry: { intervalSeconds: 1, backoffRate: 2, maxDelaySeconds: 10, maxAttempts: 3 },
        longestTimeoutMinutes: 60,
      } as Parameters<typeof runQueryDefinition>[0]),
    );
    expect(tuned.states.find((s) => s.name === 'StartQuery')?.retry[0].maxAttempts).toBe(3);
  });
});

// ---------- routes ----------

function fakeDeps(overrides: Partial<ConsoleDeps> = {}) {
  const executions: ConsoleExecution[] = [
    {
      executionArn: 'arn:aws:states:local:000000000000:execution:run-query:q-1',
      name: 'q-1',
      status: 'FAILED',
      startDate: new Date(T0),
      stopDate: new Date(T0 + 400),
      // Started before the class was named className: its input calls it workgroup.
      input: JSON.stringify({ queryId: 'q-1', workgroup: 'adhoc', attempt: 1 }),
      error: 'Athena.QueryFailed',
      cause: 'bad SQL',
    },
    {
      executionArn: 'arn:aws:states:local:000000000000:execution:run-query:q-2__r1',
      name: 'q-2__r1',
      status: 'RUNNING',
      startDate: new Date(T0 + 60_000),
      input: { queryId: 'q-2', className: 'predictable', attempt: 2 },
    },
  ];
  const histories = new Map<string, ConsoleHistoryEvent[]>([
    [executions[0].executionArn, badSqlFailed()],
    [executions[1].executionArn, log().started().pass('MarkRunning').enter('StartQuery').events],
  ]);
  const seriesCalls: [ConsoleMetricName, number][] = [];
  const deps: ConsoleDeps = {
    listExecutions: (limit) => executions.slice(0, limit),
    describeExecution: (arn) => {
      const found = executions.find((e) => e.executionArn === arn);
      if (!found)
        throw Object.assign(new Error(`Execution Does Not Exist: '${arn}'`), {
          name: 'ExecutionDoesNotExist',
        });
      return found;
    },
    executionHistory: (arn) => histories.get(arn) ?? [],
    metricSeries: (name, minutes) => {
      seriesCalls.push([name, minutes]);
      return Array.from({ length: minutes }, (_, i) => ({
        minute: new Date(T0 + i * 60_000).toISOString(),
        sum: name === 'StartQueryCount' && i === minutes - 1 ? 3 : 0,
        count: 0,
      }));
    },
    accountQuota: async () => ({ activeQueries: 4, quota: 20, headroom: 2 }),
    clock: () => new Date(T0 + 120_000),
    ...overrides,
  };
  return { deps, seriesCalls };
}

async function call(
  router: Router,
  method: string,
  path: string,
  query: Record<string, string> = {},
): Promise<RouteResponse> {
  const matched = router.match(method, path);
  if (!('handler' in matched)) return matched;
  return matched.handler({
    method,
    path,
    params: matched.params,
    query,
    headers: {},
    body: undefined,
    requestId: 'test',
    remoteAddress: '127.0.0.1',
  });
}

const pathOf = (arn: string) => `/console/api/executions/${encodeURIComponent(arn)}`;

describe('console routes', () => {
  it('lists executions newest first with query id, class and attempt read from the name and input (old inputs too)', async () => {
    const router = addConsoleRoutes(new Router(), fakeDeps().deps);

    const response = await call(router, 'GET', '/console/api/executions');

    expect(response.statusCode).toBe(200);
    expect((response.body as { items: unknown[] }).items).toEqual([
      expect.objectContaining({
        name: 'q-2__r1',
        queryId: 'q-2',
        attempt: 2,
        className: 'predictable',
        status: 'RUNNING',
        durationMs: 60_000,
      }),
      expect.objectContaining({
        name: 'q-1',
        queryId: 'q-1',
        attempt: 1,
        className: 'adhoc',
        status: 'FAILED',
        startDate: new Date(T0).toISOString(),
        stopDate: new Date(T0 + 400).toISOString(),
        durationMs: 400,
        error: 'Athena.QueryFailed',
      }),
    ]);
  });

  it("filters executions to one query's attempts", async () => {
    const router = addConsoleRoutes(new Router(), fakeDeps().deps);

    const response = await call(router, 'GET', '/console/api/executions', { queryId: 'q-1' });

    expect((response.body as { items: { name: string }[] }).items.map((e) => e.name)).toEqual(['q-1']);
  });

  it('answers a bad limit with a 400 that names it', async () => {
    const router = addConsoleRoutes(new Router(), fakeDeps().deps);

    const response = await call(router, 'GET', '/console/api/executions', { limit: '0' });

    expect(response).toMatchObject({ statusCode: 400, body: { field: 'limit' } });
  });

  it("returns one execution's history and path", async () => {
    const { deps } = fakeDeps();
    const router = addConsoleRoutes(new Router(), deps);
    const arn = 'arn:aws:states:local:000000000000:execution:run-query:q-1';

    const response = await call(router, 'GET', pathOf(arn));

    expect(response.statusCode).toBe(200);
    const body = response.body as {
      execution: { name: string };
      events: { type: string }[];
      path: ReturnType<typeof executionPath>;
    };
    expect(body.execution.name).toBe('q-1');
    expect(body.events[0].type).toBe('ExecutionStarted');
    expect(body.events.at(-1)?.type).toBe('ExecutionFailed');
    expect(body.path).toMatchObject({ end: 'FAILED', endState: 'QueryDidNotSucceed' });
    expect(body.path.steps.find((s) => s.state === 'StartQuery')?.status).toBe('caught');
  });

  it('answers an unknown execution with a 404 JSON message, whether the lookup throws or returns nothing', async () => {
    const throwing = addConsoleRoutes(new Router(), fakeDeps().deps);
    const empty = addConsoleRoutes(new Router(), fakeDeps({ describeExecution: () => undefined }).deps);

    for (const router of [throwing, empty]) {
      const response = await call(router, 'GET', pathOf('arn:aws:states:local:0:execution:run-query:nope'));
      expect(response.statusCode).toBe(404);
      expect((response.body as { message: string }).message).toMatch(/No execution .*nope/);
    }
    const tooLong = await call(throwing, 'GET', pathOf('x'.repeat(3000)));
    expect(tooLong.statusCode).toBe(404);
  });

  it('does not hide other failures of the lookup as a 404', async () => {
    const router = addConsoleRoutes(
      new Router(),
      fakeDeps({
        describeExecution: () => {
          throw new Error('database is locked');
        },
      }).deps,
    );

    await expect(call(router, 'GET', pathOf('arn:x'))).rejects.toThrow('database is locked');
  });

  it("returns the reference's three metrics per minute over the window asked for", async () => {
    const { deps, seriesCalls } = fakeDeps();
    const router = addConsoleRoutes(new Router(), deps);

    const response = await call(router, 'GET', '/console/api/metrics', { minutes: '15' });

    expect(response.statusCode).toBe(200);
    const body = response.body as {
      minutes: number;
      metrics: { name: string; total: number; points: { minute: string; value: number }[] }[];
    };
    expect(body.minutes).toBe(15);
    expect(body.metrics.map((m) => m.name)).toEqual([
      'StartQueryCount',
      'ThrottlingErrorCount',
      'RestartQueryCount',
    ]);
    expect(body.metrics[0]).toMatchObject({ total: 3 });
    expect(body.metrics[0].points).toHaveLength(15);
    expect(body.metrics[0].points.at(-1)).toEqual({
      minute: new Date(T0 + 14 * 60_000).toISOString(),
      value: 3,
    });
    expect(seriesCalls).toEqual([
      ['StartQueryCount', 15],
      ['ThrottlingErrorCount', 15],
      ['RestartQueryCount', 15],
    ]);
    expect((await call(router, 'GET', '/console/api/metrics', { minutes: '99999' })).statusCode).toBe(400);
  });

  it('reports the quota in use with the capacity athena-wlm may use (quota minus headroom)', async () => {
    const router = addConsoleRoutes(new Router(), fakeDeps().deps);

    const response = await call(router, 'GET', '/console/api/quota');

    expect(response).toEqual({
      statusCode: 200,
      body: { activeQueries: 4, quota: 20, headroom: 2, capacity: 18 },
    });
  });

  it('serves the state machine read from the ASL file', async () => {
    const router = addConsoleRoutes(new Router(), fakeDeps().deps);

    const response = await call(router, 'GET', '/console/api/state-machine');

    expect(response.statusCode).toBe(200);
    expect(response.body).toEqual(stateGraphOf(runQueryDefinition()));
  });

  it('serves the page, its script and its style with their content types and a strict CSP', async () => {
    const router = addConsoleRoutes(new Router(), fakeDeps().deps);

    const page = await call(router, 'GET', '/');
    const script = await call(router, 'GET', '/console/app.js');
    const style = await call(router, 'GET', '/console/style.css');

    expect(page.headers?.['content-type']).toMatch(/^text\/html/);
    expect(page.headers?.['content-security-policy']).toContain("script-src 'self'");
    expect(String(page.raw)).toContain('<script type="module" src="/console/app.js">');
    expect(String(page.raw)).toContain('FROM alb_logs GROUP BY request_verb, client_ip;');
    expect(script.headers?.['content-type']).toMatch(/^text\/javascript/);
    expect(style.headers?.['content-type']).toMatch(/^text\/css/);
  });

  it('puts data into the page only as text: the script never writes markup', async () => {
    const router = addConsoleRoutes(new Router(), fakeDeps().deps);

    const script = String((await call(router, 'GET', '/console/app.js')).raw);

    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  });
});

describe('console on the real local Step Functions', () => {
  let runtime: Awaited<ReturnType<typeof localRuntime>>;
  afterEach(async () => runtime.close());

  const routerOn = (r: typeof runtime) =>
    addConsoleRoutes(
      new Router(),
      consoleDepsOf({
        stepFunctions: r.parts.sfn,
        metrics: r.parts.metrics,
        athena: { activeQueryCount: () => 1 },
        config: r.config,
      }),
    );

  it('shows a throttled-then-succeeded run with its retries on StartQuery, and counts it in StartQueryCount', async () => {
    runtime = await localRuntime(
      new FakeAthena((call) => (call <= 2 ? { kind: 'throttle' } : { kind: 'succeed' })),
    );
    const arn = await runtime.submit('q-console-ok', { className: 'fast' });
    await runtime.finished(arn);
    const router = routerOn(runtime);

    const list = (await call(router, 'GET', '/console/api/executions')).body as {
      items: { name: string; className: string; attempt: number; status: string }[];
    };
    const detail = (await call(router, 'GET', pathOf(arn))).body as {
      events: { type: string }[];
      path: ReturnType<typeof executionPath>;
    };
    const metrics = (await call(router, 'GET', '/console/api/metrics', { minutes: '5' })).body as {
      metrics: { name: string; total: number }[];
    };
    const quota = (await call(router, 'GET', '/console/api/quota')).body;

    expect(list.items).toEqual([
      expect.objectContaining({ name: 'q-console-ok', className: 'fast', attempt: 1, status: 'SUCCEEDED' }),
    ]);
    expect(detail.path.steps.find((s) => s.state === 'StartQuery')).toMatchObject({
      status: 'succeeded',
      retries: 2,
      retriedErrors: [THROTTLED, THROTTLED],
    });
    expect(detail.path).toMatchObject({ end: 'SUCCEEDED', endState: 'Succeeded' });
    expect(detail.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['ExecutionStarted', 'StateRetried']),
    );
    expect(metrics.metrics.find((m) => m.name === 'StartQueryCount')?.total).toBe(1);
    expect(metrics.metrics.find((m) => m.name === 'ThrottlingErrorCount')?.total).toBe(2);
    // TEST_CONFIG: a quota of 20 with 2 slots of headroom.
    expect(quota).toEqual({ activeQueries: 1, quota: 20, headroom: 2, capacity: 18 });
  });

  it('shows bad SQL caught at StartQuery and the execution failing at QueryDidNotSucceed', async () => {
    runtime = await localRuntime(new FakeAthena(() => ({ kind: 'fail', reason: 'SYNTAX_ERROR: line 1:8' })));
    const arn = await runtime.submit('q-console-bad', { query: 'SELECT FROM' });
    await runtime.finished(arn);

    const detail = (await call(routerOn(runtime), 'GET', pathOf(arn))).body as {
      path: ReturnType<typeof executionPath>;
    };

    expect(detail.path.steps.find((s) => s.state === 'StartQuery')).toMatchObject({
      status: 'caught',
      caughtTo: 'QueryError',
    });
    expect(detail.path.steps.map((s) => s.state)).toContain('AthenaQueryFailed');
    expect(detail.path).toMatchObject({ end: 'FAILED', endState: 'QueryDidNotSucceed' });
    expect(detail.path.steps.at(-1)?.status).toBe('failed');
  });

  it('answers an ARN the service does not know with a 404', async () => {
    runtime = await localRuntime(new FakeAthena());

    const response = await call(
      routerOn(runtime),
      'GET',
      pathOf('arn:aws:states:local:0:execution:run-query:none'),
    );

    expect(response.statusCode).toBe(404);
  });
});

describe('execution names', () => {
  it('reads the query id and attempt from <queryId> and <queryId>__r<N>', () => {
    expect(parseExecutionName('abc')).toEqual({ queryId: 'abc', attempt: 1 });
    expect(parseExecutionName('abc__r2')).toEqual({ queryId: 'abc', attempt: 3 });
  });
});

// ---------- the page in a real browser against the real local runtime ----------

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', '..', 'test-artifacts');
const REFERENCE_SQL =
  'SELECT COUNT(request_verb) AS count, request_verb, client_ip FROM alb_logs GROUP BY request_verb, client_ip;';

describe('console in Chromium', () => {
  jest.setTimeout(180_000);

  it('runs the reference ALB query from the form and shows its status, execution, path and metrics', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}; the console test needs it. Run scripts/install-test-deps.sh (it installs Debian's chromium).`,
      );
    }
    // Loaded here, so the unit tests above load neither DuckDB nor a browser.
    const { startLocalRuntime } = await import('../../../local/runtime');
    const { chromium } = await import('playwright-core');
    const { DEFAULT_CONFIG, parseConfig, slotsOf } = await import('../../../contracts/config');
    const dataDir = mkdtempSync(join(tmpdir(), 'athena-wlm-console-'));
    // The default config (the quota read from Service Quotas, limits as shares), plus a class that runs
    // one query at a time, so that the page can show a query waiting in line.
    const config = parseConfig({
      ...DEFAULT_CONFIG,
      classes: {
        ...DEFAULT_CONFIG.classes,
        solo: { guaranteedSlots: 0, maxSlots: 1, description: 'one at a time' },
      },
    });
    const runtime = await startLocalRuntime({ dataDir, port: 0, config, sampleData: { albLogLines: 2000 } });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const pageErrors: string[] = [];
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page.on('pageerror', (error) => pageErrors.push(error.message));
      const opened = await page.goto(runtime.url);
      if (opened?.status() !== 200) {
        throw new Error(
          `GET / answered ${opened?.status()}: local/runtime.ts must register the console with addConsoleRoutes(router, consoleDepsOf({ stepFunctions, metrics, athena, config, clock, quota })) before it serves.`,
        );
      }

      // The form is prefilled with the reference query; the class list comes from GET /workgroups.
      await expect(page.getByLabel('SQL').inputValue()).resolves.toBe(REFERENCE_SQL);
      await page.getByLabel('Workload class').locator('option').first().waitFor({ state: 'attached' });
      await page.getByRole('button', { name: 'Submit query' }).click();
      const submitted = page.locator('#submit-status');
      await submitted.filter({ hasText: 'Submitted as' }).waitFor();
      const queryId = /Submitted as (\S+)\./.exec((await submitted.textContent()) ?? '')?.[1];
      expect(queryId).toBeTruthy();

      // It reaches SUCCEEDED in the queries table (auto-refresh, no reload).
      const row = page.locator(`#queries-table tr[data-query-id="${queryId}"]`);
      await row.locator('.badge', { hasText: 'SUCCEEDED' }).waitFor({ timeout: 60_000 });

      // Open it: record, results as a table.
      await row.getByRole('button', { name: queryId }).click();
      const detail = page.locator('#query-detail');
      await detail.locator('h2', { hasText: `Query ${queryId}` }).waitFor();
      await detail.locator('table.results tbody tr').first().waitFor();
      const headers = await detail.locator('table.results thead th').allTextContents();
      expect(headers).toEqual(['count', 'request_verb', 'client_ip']);

      // Its execution: event history and the path it took, ending green at Succeeded.
      const execution = page.locator('#execution-detail');
      await execution.locator('#history-table tr[data-event-type="ExecutionSucceeded"]').waitFor();
      const types = await execution.locator('#history-table tbody tr td:nth-child(2)').allTextContents();
      expect(types[0]).toBe('ExecutionStarted');
      expect(types).toContain('StateEntered');
      const visited = await execution
        .locator('.path-graph .node.visited')
        .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-state')));
      expect(visited).toEqual(
        expect.arrayContaining(['EnterLine', 'MarkRunning', 'StartQuery', 'ReleaseSlot', 'Succeeded']),
      );
      await expect(
        execution.locator('.path-graph .node.end-succeeded').getAttribute('data-state'),
      ).resolves.toBe('Succeeded');

      // The StartQueryCount chart has a point for this run.
      const chart = page.locator('figure.chart[data-metric="StartQueryCount"]');
      await chart.locator('rect.point').first().waitFor();
      expect(Number(await chart.getAttribute('data-total'))).toBeGreaterThanOrEqual(1);

      // A query waiting in its class's line: the page says why, and the class shows its slot in use.
      const post = (body: object) =>
        fetch(`${runtime.url}/workgroups/solo/queries`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then((r) => r.json() as Promise<{ queryId: string }>);
      const blocker = await post({
        query: LONG_QUERY,
      });
      const waiting = await post({ query: 'SELECT 2 AS two' });
      const waitingRow = page.locator(`#queries-table tr[data-query-id="${waiting.queryId}"]`);
      await waitingRow.locator('.badge', { hasText: 'WAITING_FOR_SLOT' }).waitFor({ timeout: 30_000 });
      await expect(waitingRow.locator('td.reason').textContent()).resolves.toContain(
        'solo is at its cap of 1 running query',
      );
      const soloRow = page.locator('#classes-table tbody tr', {
        has: page.locator('.class-name', { hasText: /^solo$/ }),
      });
      await soloRow.locator('.slot-text', { hasText: '1 / 0 / 1' }).waitFor();
      // Shares of the live quota are shown as slots (quota 20, 10% headroom: a capacity of 18).
      const predictableRow = page.locator('#classes-table tbody tr', {
        has: page.locator('.class-name', { hasText: /^predictable$/ }),
      });
      const predictable = config.classes.predictable;
      await expect(predictableRow.locator('.slot-text').textContent()).resolves.toBe(
        `0 / ${slotsOf(predictable.guaranteedSlots, 18)} / ${slotsOf(predictable.maxSlots, 18)}`,
      );
      for (const text of await page.locator('#classes-table .slot-text').allTextContents()) {
        expect(text).toMatch(/^\d+ \/ \d+ \/ \d+$/);
      }
      await expect(page.locator('#classes-summary').textContent()).resolves.toContain('of a capacity of 18');
      await waitingRow.getByRole('button', { name: waiting.queryId }).click();
      await detail.locator('.note', { hasText: 'solo is at its cap of 1 running query' }).waitFor();
      // Refreshes patch rows in place: the row's own button stays the same element while its status
      // changes, so a click aimed at it is never lost to an auto-refresh.
      await waitingRow.getByRole('button', { name: waiting.queryId }).evaluate((el) => {
        (el as unknown as { kept?: boolean }).kept = true;
      });

      // Cancelling the blocker frees the slot: the waiting query runs to SUCCEEDED on the page.
      await fetch(`${runtime.url}/queries/${blocker.queryId}`, { method: 'DELETE' });
      await waitingRow.locator('.badge', { hasText: 'SUCCEEDED' }).waitFor({ timeout: 30_000 });
      await expect(
        waitingRow
          .getByRole('button', { name: waiting.queryId })
          .evaluate((el) => (el as unknown as { kept?: boolean }).kept === true),
      ).resolves.toBe(true);
      await soloRow.locator('.slot-text', { hasText: '0 / 0 / 1' }).waitFor();

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'console.png'), fullPage: true });
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
