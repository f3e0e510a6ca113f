/**
 * Admission, throttling and redrive end to end: the local Athena's latency model makes each query take
 * about a second, so slot caps and the account quota show with `SELECT n`. Queries wait in their
 * class's line at run-query's EnterLine until the dispatcher, woken by every release, completes their
 * task token. Each scenario gets its own runtime because each needs its own config.
 */
import type { QueryView } from '../../../functions/core/query-view';
import type { HistoryEvent } from '../../../local/stepfunctions';
import { RunQueryStates, THROTTLING_ERRORS } from '../../../state-machines/run-query';
import {
  athenaExecutions,
  executionNamesOf,
  getQuery,
  heldSlots,
  http,
  LONG_QUERY,
  readAllResults,
  sleep,
  startQueryRetries,
  startTestRuntime,
  submit,
  type TestRuntime,
  waitFor,
  waitForEnd,
  waitForStatus,
} from './support';

/** Samples `probe` every few ms while `until` runs; returns what it saw. */
async function sampleWhile<T>(probe: () => Promise<T>, until: Promise<unknown>, everyMs = 20): Promise<T[]> {
  const seen: T[] = [];
  let done = false;
  const finished = until.finally(() => {
    done = true;
  });
  while (!done) {
    seen.push(await probe());
    await sleep(everyMs);
  }
  await finished;
  return seen;
}

/** The history of a query's execution of one attempt (`<id>`, `<id>__r1`, ...). */
function historyOf(t: TestRuntime, name: string): readonly HistoryEvent[] {
  const execution = t.runtime.stepFunctions
    .listExecutions({ maxResults: 1000 })
    .executions.find((e) => e.name === name);
  if (!execution) throw new Error(`no execution named ${name}`);
  return t.runtime.stepFunctions.getExecutionHistory(execution.executionArn).events;
}

/** When an execution first entered or left a state (epoch ms, from its own event log). */
function at(events: readonly HistoryEvent[], type: 'StateEntered' | 'StateExited', state: string): number {
  const event = events.find((e) => e.type === type && 'state' in e && e.state.name === state);
  if (!event) throw new Error(`no ${type} event for ${state}`);
  return event.timestamp;
}

/** The states an execution entered, in order. */
const entered = (events: readonly HistoryEvent[]) =>
  events.filter((e) => e.type === 'StateEntered').map((e) => ('state' in e ? e.state.name : ''));

const throttledAtStartQuery = (events: { type: string; state?: { name: string }; Error?: unknown }[]) =>
  events.filter(
    (e) => e.type === 'StateFailed' && e.state?.name === 'StartQuery' && e.Error === THROTTLING_ERRORS[0],
  ).length;

describe('a class over its slots', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime({
      config: {
        quota: { activeDmlQueries: 4, headroom: 0 },
        defaultClass: 'solo',
        classes: { solo: { guaranteedSlots: 0, maxSlots: 1 }, other: { guaranteedSlots: 1, maxSlots: 3 } },
      },
      latency: { queueMs: 400, planningMs: 400 },
    });
  }, 30_000);

  afterAll(async () => {
    await t?.close();
  });

  it('waits for a slot, in line, and then runs in order: never more than one at a time', async () => {
    const ids = ['solo-a', 'solo-b', 'solo-c'];
    for (const [i, queryId] of ids.entries()) await submit(t.url, { queryId, query: `SELECT ${i} AS n` });
    const all = Promise.all(ids.map((id) => waitForEnd(t.url, id)));

    const samples = await sampleWhile(async () => {
      const holders = (await t.runtime.dispatch.holders()).filter((h) => h.className === 'solo');
      // Athena's view of the class: its workgroup's queries still queued or running.
      const inAthena = athenaExecutions(t.dataDir).filter(
        (e) => e.workGroup === 'athena-wlm-solo' && (e.state === 'QUEUED' || e.state === 'RUNNING'),
      ).length;
      const views = (await Promise.all(ids.map((id) => getQuery(t.url, id)))).filter(
        (v): v is QueryView => v !== undefined,
      );
      return { holders: holders.length, inAthena, views };
    }, all);
    const views = await all;

    expect(views.map((v) => v.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    // The ledger's RUNNING spans a little past the slot's release (ReleaseSlot comes before
    // RecordSucceeded), so the hard limits are sampled where they are enforced: the slots and Athena.
    expect(Math.max(...samples.map((s) => s.holders))).toBe(1);
    expect(Math.max(...samples.map((s) => s.inAthena))).toBe(1);
    const waitingReasons = samples.flatMap((s) =>
      s.views.filter((v) => v.status === 'WAITING_FOR_SLOT').map((v) => v.reason ?? ''),
    );
    expect(waitingReasons.length).toBeGreaterThan(0);
    expect(waitingReasons.every((r) => /solo is at its cap of 1 running query/.test(r))).toBe(true);
    expect(waitingReasons.some((r) => /1 query ahead/.test(r))).toBe(true);
    // One query ran while the others waited: the caps were really exercised.
    expect(
      samples.some(
        (s) =>
          s.views.some((v) => v.status === 'RUNNING') &&
          s.views.filter((v) => v.status === 'WAITING_FOR_SLOT').length === 2,
      ),
    ).toBe(true);
    for (const [i, id] of ids.entries())
      expect((await readAllResults(t.url, id)).rows).toEqual([[String(i)]]);
    // First come, first served: Athena saw them in the order they were submitted.
    const runs = athenaExecutions(t.dataDir).filter((e) => e.workGroup === 'athena-wlm-solo');
    expect(runs.map((r) => r.query)).toEqual(['SELECT 0 AS n', 'SELECT 1 AS n', 'SELECT 2 AS n']);
    expect(await heldSlots(t.runtime)).toEqual([]);
    expect(await t.runtime.dispatch.heads('solo', 10)).toEqual([]);
  }, 30_000);

  it('gives a freed slot to the next query in line within 100 ms of the release, as its execution log shows', async () => {
    // Prepare: four queries of one class with one slot: each ending hands its slot to the next.
    const ids = ['hand-a', 'hand-b', 'hand-c', 'hand-d'];
    for (const [i, queryId] of ids.entries())
      await submit(t.url, { queryId, query: `SELECT ${i} AS n` }, 'solo');
    const views = await Promise.all(ids.map((id) => waitForEnd(t.url, id)));
    expect(views.map((v) => v.status)).toEqual(ids.map(() => 'SUCCEEDED'));

    // Assess: from ReleaseSlot leaving (the release is on the wake queue) to the next execution
    // leaving EnterLine (its task token completed), read from the executions' own event logs.
    const handoffs = ids.slice(1).map((id, i) => {
      const released = at(historyOf(t, ids[i]), 'StateExited', RunQueryStates.releaseSlot);
      const admitted = at(historyOf(t, id), 'StateExited', RunQueryStates.enterLine);
      return admitted - released;
    });
    // Each waited for the one before it (not admitted early), and got the slot at once.
    for (const ms of handoffs) expect(ms).toBeGreaterThanOrEqual(0);
    expect(Math.max(...handoffs)).toBeLessThan(100);
    // Nothing polled meanwhile: each waiting execution was in EnterLine once, on one task token.
    for (const id of ids.slice(1))
      expect(entered(historyOf(t, id)).filter((s) => s === 'EnterLine')).toHaveLength(1);
  }, 30_000);
});

describe('a burst at a small cap, and a guaranteed class arriving in the middle of it', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime({
      // 3 slots: etl is guaranteed 1 (nobody may borrow it: its maxReclaimSeconds is 0), so adhoc
      // runs at most 2 at a time while etl is idle.
      config: {
        quota: { activeDmlQueries: 3, headroom: 0 },
        defaultClass: 'adhoc',
        classes: { etl: { guaranteedSlots: 1, maxSlots: 3 }, adhoc: { guaranteedSlots: 0, maxSlots: 3 } },
      },
      latency: { queueMs: 300, planningMs: 300 },
    });
  }, 30_000);

  afterAll(async () => {
    await t?.close();
  });

  it('drains the burst in submission order, keeps etl’s slot free, and starts etl first when it comes', async () => {
    // Act: eight adhoc queries, then, while they drain, one etl query.
    const burst = Array.from({ length: 8 }, (_, i) => `burst-${i}`);
    for (const [i, queryId] of burst.entries()) await submit(t.url, { queryId, query: `SELECT ${i} AS n` });
    await waitForStatus(t.url, burst[1], ['RUNNING']);
    const etlSubmitted = Date.now();
    await submit(t.url, { queryId: 'etl-1', query: 'SELECT 100 AS n' }, 'etl');
    const samples = await sampleWhile(
      async () => t.runtime.dispatch.holders(),
      Promise.all([...burst, 'etl-1'].map((id) => waitForEnd(t.url, id))),
    );

    // Assess: every query ran once and succeeded.
    for (const id of [...burst, 'etl-1']) expect((await getQuery(t.url, id))?.status).toBe('SUCCEEDED');
    const runs = athenaExecutions(t.dataDir);
    expect(runs).toHaveLength(9);
    // Within a class, first come, first served.
    const adhocRuns = runs.filter((r) => r.workGroup === 'athena-wlm-adhoc');
    expect(adhocRuns.map((r) => r.query)).toEqual(burst.map((_, i) => `SELECT ${i} AS n`));
    // adhoc never took etl's guaranteed slot; the capacity always held.
    expect(Math.max(...samples.map((h) => h.filter((x) => x.className === 'adhoc').length))).toBe(2);
    expect(Math.max(...samples.map((h) => h.length))).toBeLessThanOrEqual(3);
    // etl found its slot free: it started before every adhoc query still waiting when it arrived,
    // and well before the burst could have made room for it.
    const etlRun = runs.find((r) => r.workGroup === 'athena-wlm-etl')!;
    const waitingThen = adhocRuns.filter((r) => r.submittedAt > etlSubmitted);
    expect(waitingThen.length).toBeGreaterThan(0);
    expect(etlRun.submittedAt).toBeLessThan(Math.min(...waitingThen.map((r) => r.submittedAt)));
    expect((await getQuery(t.url, 'etl-1'))!.queueWaitMs).toBeLessThan(500);
    expect(await heldSlots(t.runtime)).toEqual([]);
  }, 60_000);
});

describe('waiting in line: cancel and the queue-wait limit', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime({
      config: {
        quota: { activeDmlQueries: 2, headroom: 0 },
        defaultClass: 'solo',
        classes: { solo: { guaranteedSlots: 0, maxSlots: 1, maxQueueWaitMinutes: 1 } },
      },
    });
  }, 30_000);

  afterAll(async () => {
    await t?.close();
  });

  it('ends the waiting execution when its query is cancelled, and lets the next one take its place', async () => {
    const blocker = await submit(t.url, { queryId: 'cancel-blocker', query: LONG_QUERY });
    await waitForStatus(t.url, blocker, ['RUNNING']);
    const waiting = await submit(t.url, { queryId: 'cancel-waiting', query: 'SELECT 1 AS n' });
    const view = await waitForStatus(t.url, waiting, ['WAITING_FOR_SLOT']);
    expect(view.reason).toMatch(/solo is at its cap of 1 running query/);
    expect(t.runtime.tokens.size).toBe(1);

    // Act
    const cancelled = await http('DELETE', `${t.url}/queries/${waiting}`);

    // Assess: the execution that waited at EnterLine ends Skipped, on the dispatcher's word.
    expect(cancelled.body).toMatchObject({ status: 'CANCELLED', previousStatus: 'WAITING_FOR_SLOT' });
    const execution = await t.runtime.stepFunctions.waitForExecution(view.executionArn!);
    expect(execution.status).toBe('SUCCEEDED');
    expect(entered(historyOf(t, waiting))).toEqual(['EnterLine', 'Skipped']);
    expect(t.runtime.tokens.size).toBe(0);
    expect(await t.runtime.dispatch.heads('solo', 10)).toEqual([]);
    expect(athenaExecutions(t.dataDir).filter((r) => r.query === 'SELECT 1 AS n')).toEqual([]);
    // The next query of the class waits behind the blocker only, not behind the cancelled one.
    const next = await submit(t.url, { queryId: 'cancel-next', query: 'SELECT 2 AS n' });
    expect((await waitForStatus(t.url, next, ['WAITING_FOR_SLOT'])).reason).not.toMatch(/ahead/);
    expect((await http('DELETE', `${t.url}/queries/${blocker}`)).status).toBe(200);
    expect((await waitForEnd(t.url, next)).status).toBe('SUCCEEDED');
    expect(await heldSlots(t.runtime)).toEqual([]);
  }, 30_000);

  it('ends a query FAILED with QueueWaitExceeded when its class’s wait runs out in line', async () => {
    const blocker = await submit(t.url, { queryId: 'wait-blocker', query: LONG_QUERY });
    await waitForStatus(t.url, blocker, ['RUNNING']);
    // The message API Gateway would have put on the queue for a query submitted 58 s ago: 2 s of its
    // minute left (the limit counts from the submission, however long the intake queue held it).
    t.runtime.queues.queries.send(
      JSON.stringify({
        className: 'solo',
        queryId: 'wait-late',
        attempt: 1,
        submittedAt: Date.now() - 58_000,
        body: { query: 'SELECT 3 AS n' },
      }),
    );
    await waitForStatus(t.url, 'wait-late', ['WAITING_FOR_SLOT']);

    const view = await waitForEnd(t.url, 'wait-late', 10_000);

    expect(view).toMatchObject({ status: 'FAILED', error: { code: 'QueueWaitExceeded' } });
    expect(view.reason).toMatch(/maxQueueWaitMinutes of its class solo ran out/);
    const events = historyOf(t, 'wait-late');
    expect(entered(events)).toEqual([
      'EnterLine',
      'WaitedTooLong',
      'LeaveLine',
      'RecordNotStarted',
      'QueryDidNotSucceed',
    ]);
    expect(t.runtime.stepFunctions.describeExecution(view.executionArn!)).toMatchObject({
      status: 'FAILED',
      error: 'QueueWaitExceeded',
    });
    // It left its line and never held a slot; the blocker still has its own.
    expect((await heldSlots(t.runtime)).map((h) => h.queryId)).toEqual([blocker]);
    expect(await t.runtime.dispatch.heads('solo', 10)).toEqual([]);
    expect(athenaExecutions(t.dataDir).filter((r) => r.query === 'SELECT 3 AS n')).toEqual([]);
    expect((await http('DELETE', `${t.url}/queries/${blocker}`)).status).toBe(200);
    expect(await heldSlots(t.runtime)).toEqual([]);
  }, 30_000);
});

describe('pre-emption: a preemptible class filling idle capacity', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime({
      // explore may borrow any idle slot (preemptible); etl is guaranteed 2 of the 3.
      config: {
        quota: { activeDmlQueries: 3, headroom: 0 },
        defaultClass: 'explore',
        classes: {
          etl: { guaranteedSlots: 2, maxSlots: 3 },
          explore: { guaranteedSlots: 0, maxSlots: 3, preemptible: true },
        },
      },
      latency: { queueMs: 1500, planningMs: 0 },
    });
  }, 30_000);

  afterAll(async () => {
    await t?.close();
  });

  it('is pre-empted when the guaranteed class arrives; the victim runs again and ends SUCCEEDED once', async () => {
    // Prepare: explore fills all three slots, etl's idle guarantee included.
    const explore = ['explore-0', 'explore-1', 'explore-2'];
    for (const [i, queryId] of explore.entries()) await submit(t.url, { queryId, query: `SELECT ${i} AS n` });
    await waitFor(
      'explore to hold every slot',
      async () => (await t.runtime.dispatch.holders()).length === 3,
    );

    // Act: two etl queries arrive; etl is below its guarantee and no slot is free.
    const etl = ['etl-0', 'etl-1'];
    for (const [i, queryId] of etl.entries())
      await submit(t.url, { queryId, query: `SELECT ${10 + i} AS n` }, 'etl');
    const views = await Promise.all([...explore, ...etl].map((id) => waitForEnd(t.url, id, 30_000)));

    // Assess: everything succeeded, etl without waiting for explore to end.
    expect(views.map((v) => v.status)).toEqual(views.map(() => 'SUCCEEDED'));
    const victims = views.filter((v) => (v.preemptions ?? 0) > 0);
    expect(victims.map((v) => v.className)).toEqual(['explore', 'explore']);
    for (const victim of victims) {
      // Stopped once, run again as attempt 2, and ended once.
      expect(victim).toMatchObject({ attempts: 2, preemptions: 1 });
      expect(executionNamesOf(t.runtime, victim.queryId)).toEqual([victim.queryId, `${victim.queryId}__r1`]);
      const first = t.runtime.stepFunctions
        .listExecutions({ maxResults: 1000 })
        .executions.find((e) => e.name === victim.queryId)!;
      expect(t.runtime.stepFunctions.describeExecution(first.executionArn)).toMatchObject({
        status: 'ABORTED',
        error: 'athena-wlm.Preempted',
      });
      const runs = athenaExecutions(t.dataDir).filter((r) => r.query === victim.query);
      expect(runs.map((r) => r.state)).toEqual(['CANCELLED', 'SUCCEEDED']);
      expect(runs[1].id).toBe(victim.athenaQueryExecutionId);
    }
    // etl started as soon as the stops freed its slots, long before the borrowers would have ended.
    for (const v of views.filter((x) => x.className === 'etl')) expect(v.queueWaitMs).toBeLessThan(1000);
    expect(t.runtime.metrics.total('PreemptedQueryCount', 60)).toBe(2);
    expect(await heldSlots(t.runtime)).toEqual([]);
  }, 60_000);
});

describe('an account quota of 2 under 10 concurrent queries', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime({
      // Admission plans with a quota of 12, so all 10 start; the local Athena enforces 2, as when other
      // traffic in the account holds the rest.
      config: {
        quota: { activeDmlQueries: 12, headroom: 0 },
        defaultClass: 'burst',
        classes: { burst: { guaranteedSlots: 0, maxSlots: 10 } },
        throttleRetry: { intervalSeconds: 1, backoffRate: 1, maxDelaySeconds: 1, maxAttempts: 20 },
      },
      athenaQuota: 2,
      latency: { queueMs: 300, planningMs: 300 },
      retryPauseMs: 150,
      redriveEveryMs: 500,
    });
  }, 30_000);

  afterAll(async () => {
    await t?.close();
  });

  it('throttles, retries and finishes every query exactly once', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `burst-${i}`);
    await Promise.all(ids.map((queryId, i) => submit(t.url, { queryId, query: `SELECT ${i} AS n` })));
    const all = Promise.all(ids.map((id) => waitForEnd(t.url, id, 40_000)));

    const samples = await sampleWhile(
      async () => ({
        active: t.runtime.athena.activeQueryCount(),
        slots: (await t.runtime.dispatch.holders()).length,
      }),
      all,
    );
    const views = await all;

    expect(views.map((v) => v.status)).toEqual(ids.map(() => 'SUCCEEDED'));
    // The scenario as intended: admission let more than 2 through, Athena never ran more than 2.
    expect(Math.max(...samples.map((s) => s.slots))).toBeGreaterThan(2);
    expect(Math.max(...samples.map((s) => s.active))).toBeLessThanOrEqual(2);

    const throttles = t.runtime.metrics.total('ThrottlingErrorCount', 60);
    expect(throttles).toBeGreaterThan(0);
    const histories = views.flatMap((v) =>
      executionNamesOf(t.runtime, v.queryId).map(
        (name) =>
          t.runtime.stepFunctions.getExecutionHistory(
            t.runtime.stepFunctions
              .listExecutions({ maxResults: 1000 })
              .executions.find((e) => e.name === name)!.executionArn,
          ).events,
      ),
    );
    expect(histories.reduce((sum, events) => sum + startQueryRetries(events), 0)).toBeGreaterThan(0);
    expect(histories.reduce((sum, events) => sum + throttledAtStartQuery(events), 0)).toBe(throttles);

    // None lost, none doubled: one Athena run per query, each with its own answer.
    const runs = athenaExecutions(t.dataDir);
    expect(runs).toHaveLength(10);
    expect(new Set(views.map((v) => v.athenaQueryExecutionId))).toEqual(new Set(runs.map((r) => r.id)));
    for (const [i, id] of ids.entries())
      expect((await readAllResults(t.url, id)).rows).toEqual([[String(i)]]);
    expect(t.runtime.queues.queries.depth()).toBe(0);
    expect(t.runtime.queues.deferred.depth()).toBe(0);
    expect(t.runtime.queues.failed.depth()).toBe(0);
    expect(await heldSlots(t.runtime)).toEqual([]);
  }, 60_000);
});

describe('a query throttled past its retries', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime({
      config: {
        quota: { activeDmlQueries: 4, headroom: 0 },
        defaultClass: 'adhoc',
        classes: { adhoc: { guaranteedSlots: 0, maxSlots: 2 } },
        throttleRetry: { maxAttempts: 0 },
      },
      athenaQuota: 1,
      // Every query spends 2 s QUEUED in Athena: the blocker below holds the whole quota meanwhile.
      latency: { queueMs: 2000, planningMs: 0 },
      redriveEveryMs: 300,
    });
  }, 30_000);

  afterAll(async () => {
    await t?.close();
  });

  it('is deferred with the reason, then re-driven by the schedule once the quota frees, and succeeds', async () => {
    // Traffic outside athena-wlm holding the account's only slot.
    const blocker = await t.runtime.athena.startQueryExecution({ QueryString: 'SELECT 0 AS blocker' });
    const queryId = await submit(t.url, { queryId: 'deferred-1', query: 'SELECT 1 AS n' });

    const deferred = await waitFor(
      'the query to be DEFERRED',
      async () => {
        const view = await getQuery(t.url, queryId);
        return view?.status === 'DEFERRED' ? view : undefined;
      },
      { everyMs: 10, timeoutMs: 10_000 },
    );
    expect(deferred.reason).toMatch(/concurrent-query quota \(TooManyRequestsException\)/);
    expect(deferred.reason).toMatch(/redrive/);
    await t.runtime.athena.stopQueryExecution({ QueryExecutionId: blocker.QueryExecutionId });

    const view = await waitForEnd(t.url, queryId, 20_000);

    expect(view.status).toBe('SUCCEEDED');
    expect(view.redrives).toBeGreaterThanOrEqual(1);
    expect(view.attempts).toBe(view.redrives + 1);
    expect(t.runtime.metrics.total('RestartQueryCount', 60)).toBe(view.redrives);
    const names = executionNamesOf(t.runtime, queryId);
    expect(names).toEqual([
      queryId,
      ...Array.from({ length: view.redrives }, (_, i) => `${queryId}__r${i + 1}`),
    ]);
    expect(names).toContain(`${queryId}__r1`);
    const executions = t.runtime.stepFunctions.listExecutions({ maxResults: 1000 }).executions;
    const last = executions.find((e) => e.name === names[names.length - 1])!;
    expect(view.executionArn).toBe(last.executionArn);
    // The first attempt went the deferral path of the state machine, not a failure path.
    const first = t.runtime.stepFunctions.getExecutionHistory(
      executions.find((e) => e.name === queryId)!.executionArn,
    );
    const entered = first.events
      .filter((e) => e.type === 'StateEntered')
      .map((e) => ('state' in e ? e.state.name : ''));
    expect(entered).toEqual(
      expect.arrayContaining(['ThrottledTooLong', 'SendToDeferredQueue', 'RecordDeferred']),
    );
    // Throttled attempts never reached Athena: one run of the query there, accepted once the blocker ended.
    const athena = athenaExecutions(t.dataDir);
    const runs = athena.filter((e) => e.query === 'SELECT 1 AS n');
    expect(runs.map((r) => [r.id, r.state])).toEqual([[view.athenaQueryExecutionId, 'SUCCEEDED']]);
    const blockerRun = athena.find((e) => e.id === blocker.QueryExecutionId)!;
    expect(blockerRun.state).toBe('CANCELLED');
    expect(runs[0].submittedAt).toBeGreaterThanOrEqual(blockerRun.completedAt!);
    expect((await readAllResults(t.url, queryId)).rows).toEqual([['1']]);
    expect(t.runtime.queues.deferred.depth()).toBe(0);
    expect(t.runtime.queues.failed.depth()).toBe(0);
  }, 40_000);
});
