/**
 * Admission, throttling and redrive end to end: the local Athena's latency model makes each query take
 * about a second, so slot caps and the account quota show with `SELECT n`. Each scenario gets its own
 * runtime because each needs its own config.
 */
import type { QueryView } from '../../../functions/core/query-view';
import { THROTTLING_ERRORS } from '../../../state-machines/run-query';
import {
  athenaExecutions,
  executionNamesOf,
  getQuery,
  readAllResults,
  sleep,
  startQueryRetries,
  startTestRuntime,
  submit,
  type TestRuntime,
  waitFor,
  waitForEnd,
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
        admission: { initialWaitSeconds: 1, maxWaitSeconds: 1 },
      },
      latency: { queueMs: 400, planningMs: 400 },
    });
  }, 30_000);

  afterAll(async () => {
    await t?.close();
  });

  it('waits for a slot, in line, and then runs: never more than one at a time', async () => {
    const ids = ['solo-a', 'solo-b', 'solo-c'];
    for (const [i, queryId] of ids.entries()) await submit(t.url, { queryId, query: `SELECT ${i} AS n` });
    const all = Promise.all(ids.map((id) => waitForEnd(t.url, id)));

    const samples = await sampleWhile(async () => {
      const holders = (await t.runtime.slots.holders()).filter((h) => h.className === 'solo');
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
    expect(await t.runtime.slots.holders()).toEqual([]);
  }, 30_000);
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
        slots: (await t.runtime.slots.holders()).length,
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
    expect(await t.runtime.slots.holders()).toEqual([]);
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
