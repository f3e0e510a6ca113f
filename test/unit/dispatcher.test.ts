import { parseConfig } from '../../contracts/config';
import {
  ADMIT_RETRY_MS,
  type DispatcherDeps,
  dispatchInvocation,
  runDispatcher,
} from '../../functions/core/dispatcher';
import type { TaskTokens } from '../../functions/core/ports';
import { getQueryApi } from '../../functions/core/query-api';
import type { QueryRecord } from '../../functions/core/query-record';
import { StartRate } from '../../functions/core/start-rate';
import { LINE_CANCELLED_ERROR, PREEMPTED_STOP_ERROR, type WakeEvent } from '../../functions/core/wake-event';
import {
  InMemoryDispatchStore,
  InMemoryLedger,
  RecordingExecutions,
  RecordingMetrics,
} from '../support/in-memory';

const config = parseConfig({
  quota: { activeDmlQueries: 4, headroom: 0 },
  defaultClass: 'science',
  admission: { startsPerSecond: 10 },
  classes: {
    etl: { guaranteedSlots: 2, maxSlots: 4, maxReclaimSeconds: 300 },
    science: { guaranteedSlots: 0, maxSlots: 4, preemptible: true },
    adhoc: { guaranteedSlots: 0, maxSlots: 1 },
  },
});

/** Task tokens that record what the dispatcher completed; a token can be made gone (execution stopped). */
class RecordingTokens implements TaskTokens {
  readonly succeeded: string[] = [];
  readonly failed: { token: string; error: string }[] = [];
  readonly gone = new Set<string>();

  async succeed(token: string) {
    if (this.gone.has(token)) return 'gone' as const;
    this.succeeded.push(token);
    return 'ok' as const;
  }

  async fail(token: string, error: string) {
    if (this.gone.has(token)) return 'gone' as const;
    this.failed.push({ token, error });
    return 'ok' as const;
  }
}

const arn = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:run-query:${name}`;

function setup() {
  let now = Date.parse('2026-12-01T10:00:00.000Z');
  const executions = Object.assign(new RecordingExecutions(), {
    stopped: [] as { arn: string; error?: string }[],
    async stop(executionArn: string, _cause: string, error?: string) {
      this.stopped.push({ arn: executionArn, error });
    },
  });
  const deps = {
    config,
    store: new InMemoryDispatchStore(),
    tokens: new RecordingTokens(),
    ledger: new InMemoryLedger(),
    executions,
    metrics: new RecordingMetrics(),
    clock: () => new Date(now),
    rate: new StartRate(config.admission.startsPerSecond),
  } satisfies DispatcherDeps;
  return { deps, advance: (ms: number) => (now += ms) };
}

type EnterEvent = Extract<WakeEvent, { type: 'enter' }>;

let seq = 0;
/** A query recorded QUEUED whose execution entered its line (what the starter and EnterLine do). */
async function enter(
  deps: ReturnType<typeof setup>['deps'],
  queryId: string,
  className: string,
): Promise<EnterEvent> {
  const submittedAt = new Date(Date.parse('2026-12-01T09:00:00.000Z') + seq++ * 1000).toISOString();
  const record: QueryRecord = {
    queryId,
    className: className,
    query: 'SELECT 1',
    database: 'default',
    catalog: 'AwsDataCatalog',
    submittedAt,
    status: 'QUEUED',
    attempts: 0,
    redrives: 0,
    updatedAt: submittedAt,
  };
  await deps.ledger.create(record);
  return {
    type: 'enter',
    queryId,
    className,
    submittedAt,
    attempt: 1,
    executionArn: arn(queryId),
    taskToken: `token-${queryId}`,
    waitUntil: '2026-12-01T12:00:00.000Z',
  };
}

/** What a pass cut short after taking a query's slot leaves: the slot held and the entry still in line. */
async function heldAndStillInLine(deps: ReturnType<typeof setup>['deps'], event: EnterEvent) {
  await deps.store.join({ ...event, enteredAt: deps.clock().toISOString() });
  await deps.store.hold({
    queryId: event.queryId,
    className: event.className,
    acquiredAt: deps.clock().toISOString(),
    executionArn: event.executionArn,
  });
}

/** What run-query's MarkRunning does once a token is completed. */
async function markRunning(
  deps: ReturnType<typeof setup>['deps'],
  queryId: string,
  executionArn = arn(queryId),
) {
  const attempt = executionArn.endsWith('__r1') ? 2 : 1;
  await deps.ledger.update(queryId, { status: 'RUNNING', executionArn, attempts: attempt }, [
    'QUEUED',
    'WAITING_FOR_SLOT',
  ]);
}

describe('runDispatcher', () => {
  it('gives a free slot at once: holds it, completes the token, takes the query out of its line', async () => {
    const { deps } = setup();

    const summary = await runDispatcher([await enter(deps, 'e1', 'etl')], deps);

    expect(summary).toMatchObject({ admitted: 1, waiting: 0 });
    expect(deps.tokens.succeeded).toEqual(['token-e1']);
    expect((await deps.store.holders()).map((h) => h.queryId)).toEqual(['e1']);
    expect(deps.store.waiting('etl')).toBe(0);
    expect(deps.metrics.total('QueryAdmittedCount')).toBe(1);
  });

  it('keeps a query over its class cap in line, saying why and how many are ahead', async () => {
    const { deps } = setup();
    const events = [
      await enter(deps, 'a1', 'adhoc'),
      await enter(deps, 'a2', 'adhoc'),
      await enter(deps, 'a3', 'adhoc'),
    ];

    const summary = await runDispatcher(events, deps);

    expect(summary).toMatchObject({ admitted: 1, waiting: 2 });
    expect(deps.ledger.records.get('a3')).toMatchObject({
      status: 'WAITING_FOR_SLOT',
      reason: 'adhoc is at its cap of 1 running query',
      executionArn: arn('a3'),
    });
    const view = await getQueryApi(
      'a3',
      { principal: 'admin', admin: true },
      {
        config: deps.config,
        ledger: deps.ledger,
        clock: deps.clock,
        line: deps.store,
      },
    );
    expect(view.body).toMatchObject({
      reason: 'adhoc is at its cap of 1 running query; 1 query ahead of this one',
      queriesAhead: 1,
    });
  });

  it('starts the next query of the line, first come first served, the moment a slot is given back', async () => {
    const { deps } = setup();
    await runDispatcher(
      [await enter(deps, 'a1', 'adhoc'), await enter(deps, 'a2', 'adhoc'), await enter(deps, 'a3', 'adhoc')],
      deps,
    );

    await runDispatcher([{ type: 'release', queryId: 'a1', executionArn: arn('a1') }], deps);

    expect(deps.tokens.succeeded).toEqual(['token-a1', 'token-a2']);
    expect((await deps.store.holders()).map((h) => h.queryId)).toEqual(['a2']);
  });

  it('ignores a release by an older execution of the query', async () => {
    const { deps } = setup();
    await runDispatcher([await enter(deps, 'a1', 'adhoc')], deps);

    await runDispatcher([{ type: 'release', queryId: 'a1', executionArn: arn('a1__r1') }], deps);

    expect((await deps.store.holders()).map((h) => h.queryId)).toEqual(['a1']);
  });

  it('ends the wait of a query cancelled in line by failing its token', async () => {
    const { deps } = setup();
    const first = await enter(deps, 'a1', 'adhoc');
    const second = await enter(deps, 'a2', 'adhoc');
    await runDispatcher([first, second], deps);

    const { submittedAt } = second as { submittedAt: string };
    await runDispatcher(
      [{ type: 'leave', why: 'cancelled', queryId: 'a2', className: 'adhoc', submittedAt }],
      deps,
    );

    expect(deps.tokens.failed).toEqual([{ token: 'token-a2', error: LINE_CANCELLED_ERROR }]);
    expect(deps.store.waiting('adhoc')).toBe(0);
  });

  it('ends at once the wait of a query whose cancel came before its enter', async () => {
    const { deps } = setup();
    // adhoc's one slot is busy, so the cancelled query would otherwise wait in line for it.
    await runDispatcher([await enter(deps, 'a1', 'adhoc')], deps);
    const late = await enter(deps, 'a2', 'adhoc');
    const { submittedAt } = late as { submittedAt: string };
    await deps.ledger.update('a2', { status: 'CANCELLED' });
    // The cancel's leave finds nothing in line; the execution's enter comes after it.
    await runDispatcher(
      [{ type: 'leave', why: 'cancelled', queryId: 'a2', className: 'adhoc', submittedAt }],
      deps,
    );

    await runDispatcher([late], deps);

    expect(deps.tokens.failed).toEqual([{ token: 'token-a2', error: LINE_CANCELLED_ERROR }]);
    expect(deps.store.waiting('adhoc')).toBe(0);
    expect(deps.ledger.records.get('a2')?.status).toBe('CANCELLED');
  });

  it('keeps in line a newcomer whose record is not ended, even when it cannot be marked waiting', async () => {
    const { deps } = setup();
    await runDispatcher([await enter(deps, 'a1', 'adhoc')], deps);
    const second = await enter(deps, 'a2', 'adhoc');
    await deps.ledger.update('a2', { status: 'RUNNING' });

    await runDispatcher([second], deps);

    expect(deps.tokens.failed).toEqual([]);
    expect(deps.store.waiting('adhoc')).toBe(1);
  });

  it("applies each query's events in the order sent, different queries' at once", async () => {
    const { deps } = setup();
    const a1 = await enter(deps, 'a1', 'adhoc');
    const a2 = await enter(deps, 'a2', 'adhoc');
    const { submittedAt } = a1 as { submittedAt: string };
    // a1 enters and is cancelled in the same batch; a2 enters alongside.
    const summary = await runDispatcher(
      [a1, a2, { type: 'leave', why: 'cancelled', queryId: 'a1', className: 'adhoc', submittedAt }],
      deps,
    );
    expect(deps.tokens.failed).toEqual([{ token: 'token-a1', error: LINE_CANCELLED_ERROR }]);
    expect(deps.tokens.succeeded).toEqual(['token-a2']);
    expect(summary).toMatchObject({ admitted: 1, waiting: 0 });
    expect((await deps.store.holders()).map((h) => h.queryId)).toEqual(['a2']);
  });

  it('gives the slot back at once when the execution no longer waits on its token', async () => {
    const { deps } = setup();
    deps.tokens.gone.add('token-e1');

    const summary = await runDispatcher([await enter(deps, 'e1', 'etl')], deps);

    expect(summary.admitted).toBe(0);
    expect(await deps.store.holders()).toEqual([]);
    expect(deps.store.waiting('etl')).toBe(0);
  });

  it('completes the token again after a pass cut short between taking the slot and completing it', async () => {
    const { deps } = setup();
    const event = await enter(deps, 'e1', 'etl');
    // The crash: the slot was held and the line entry is still there; the token was never completed.
    await heldAndStillInLine(deps, event);

    await runDispatcher([{ type: 'sweep' }], deps);

    expect(deps.tokens.succeeded).toEqual(['token-e1']);
    expect((await deps.store.holders()).length).toBe(1);
    expect(deps.store.waiting('etl')).toBe(0);
  });

  it('starts no faster than admission.startsPerSecond and asks for the next pass', async () => {
    const { deps, advance } = setup();
    const burst = [];
    for (let i = 0; i < 4; i++) burst.push(await enter(deps, `s${i}`, 'science'));
    deps.rate.take(deps.clock().getTime(), 8); // 8 of the 10 starts of this second were used already

    const first = await runDispatcher(burst, deps);
    expect(first.admitted).toBe(2);
    expect(['s2', 's3'].map((id) => deps.ledger.records.get(id)?.status)).toEqual([
      'WAITING_FOR_SLOT',
      'WAITING_FOR_SLOT',
    ]);
    expect(deps.ledger.records.get('s2')?.reason).toMatch(/StartQueryExecution rate/);
    expect(first.nextPassInMs).toBeGreaterThan(0);

    // The ten starts of that second leave the window a second later: the next pass starts the rest.
    expect(first.nextPassInMs).toBe(1000);
    advance(999);
    expect((await runDispatcher([], deps)).admitted).toBe(0);
    advance(1);
    expect((await runDispatcher([], deps)).admitted).toBe(2);
  });

  it('pre-empts the youngest borrower when a class below its guarantee arrives, and runs it again once', async () => {
    const { deps, advance } = setup();
    for (let i = 0; i < 4; i++) {
      await runDispatcher([await enter(deps, `s${i}`, 'science')], deps);
      await markRunning(deps, `s${i}`);
      advance(1000);
    }

    const summary = await runDispatcher([await enter(deps, 'e1', 'etl')], deps);

    expect(summary).toMatchObject({ admitted: 1, preempted: 1 });
    expect(deps.tokens.succeeded.at(-1)).toBe('token-e1');
    const victim = 's3';
    expect(deps.executions.stopped).toEqual([{ arn: arn(victim), error: PREEMPTED_STOP_ERROR }]);
    expect(deps.ledger.records.get(victim)).toMatchObject({ status: 'QUEUED', preemptions: 1 });
    expect(deps.ledger.records.get(victim)?.reason).toMatch(/^Pre-empted after 1 s/);
    expect(deps.executions.started.map((s) => s.name)).toEqual([`${victim}__r1`]);
    expect(deps.executions.started[0].input).toMatchObject({
      attempt: 2,
      submittedAt: deps.ledger.records.get(victim)?.submittedAt,
    });
    expect(deps.metrics.total('PreemptedQueryCount')).toBe(1);

    // The re-run joins its line at its old place (the front) and starts once etl gives its slot back.
    const rerun = {
      ...(await enter(deps, 'unused', 'science')),
      queryId: victim,
      submittedAt: deps.ledger.records.get(victim)?.submittedAt as string,
      attempt: 2,
      executionArn: arn(`${victim}__r1`),
      taskToken: `token-${victim}-2`,
    };
    await runDispatcher([rerun], deps);
    expect(deps.tokens.succeeded).not.toContain(`token-${victim}-2`);
    await runDispatcher([{ type: 'release', queryId: 'e1', executionArn: arn('e1') }], deps);
    expect(deps.tokens.succeeded.at(-1)).toBe(`token-${victim}-2`);

    await markRunning(deps, victim, arn(`${victim}__r1`));
    await deps.ledger.update(
      victim,
      { status: 'SUCCEEDED' },
      { statuses: ['RUNNING'], executionArn: arn(`${victim}__r1`) },
    );
    expect(deps.ledger.records.get(victim)).toMatchObject({
      status: 'SUCCEEDED',
      attempts: 2,
      preemptions: 1,
    });
    expect(deps.executions.started).toHaveLength(1);
  });

  it('leaves a borrower alone when it ended before it could be pre-empted, and plans again', async () => {
    const { deps } = setup();
    const science = [];
    for (let i = 0; i < 4; i++) science.push(await enter(deps, `s${i}`, 'science'));
    await runDispatcher(science, deps);
    // Only s0 runs; the others' records are still QUEUED (their MarkRunning not yet done): not pre-emptible.
    await markRunning(deps, 's0');

    const summary = await runDispatcher([await enter(deps, 'e1', 'etl')], deps);

    expect(summary).toMatchObject({ admitted: 1, preempted: 1 });
    expect(deps.executions.stopped.map((s) => s.arn)).toEqual([arn('s0')]);
  });

  it('keeps the slot of a running query when a retried batch finds its token already completed', async () => {
    const { deps } = setup();
    const event = await enter(deps, 'e1', 'etl');
    // The first pass took the slot and completed the token, then failed before leaving the line.
    await heldAndStillInLine(deps, event);
    deps.tokens.gone.add('token-e1');

    await runDispatcher([event], deps);

    expect((await deps.store.holders()).map((h) => h.queryId)).toEqual(['e1']);
    expect(deps.store.waiting('etl')).toBe(0);
  });

  it('finishes a pre-emption that a failed pass left half done: stopped once, run again once, slot freed', async () => {
    const { deps, advance } = setup();
    for (let i = 0; i < 4; i++) {
      await runDispatcher([await enter(deps, `s${i}`, 'science')], deps);
      await markRunning(deps, `s${i}`);
      advance(1000);
    }
    const start = deps.executions.start.bind(deps.executions);
    let failures = 1;
    deps.executions.start = async (name, input) => {
      if (failures-- > 0) throw new Error('ThrottlingException');
      return start(name, input);
    };
    const etl = await enter(deps, 'e1', 'etl');
    await expect(runDispatcher([etl], deps)).rejects.toThrow('ThrottlingException');
    expect(deps.ledger.records.get('s3')?.status).toBe('QUEUED');

    // The batch comes back: the pass finishes the pre-emption before it plans anything.
    await runDispatcher([etl], deps);

    expect(deps.executions.started.map((s) => s.name)).toEqual(['s3__r1']);
    expect((await deps.store.holders()).map((h) => h.queryId).sort()).toEqual(['e1', 's0', 's1', 's2']);
    expect(deps.ledger.records.get('s3')?.preemptions).toBe(1);
    expect(deps.tokens.succeeded.at(-1)).toBe('token-e1');
  });

  it('never pre-empts a query that already ran again once', async () => {
    const { deps } = setup();
    for (let i = 0; i < 4; i++) {
      const event = {
        ...(await enter(deps, `s${i}`, 'science')),
        attempt: 2,
      };
      await runDispatcher([event], deps);
      await markRunning(deps, `s${i}`);
    }

    const summary = await runDispatcher([await enter(deps, 'e1', 'etl')], deps);

    expect(summary).toMatchObject({ admitted: 0, preempted: 0 });
    expect(deps.executions.stopped).toEqual([]);
  });

  it('drops entries whose wait ran out long ago, so they never hide the queries behind them', async () => {
    const { deps } = setup();
    deps.rate.take(deps.clock().getTime(), 9); // one start left: a pass reads two heads per class
    for (let i = 0; i < 3; i++) {
      const stale = {
        ...(await enter(deps, `old${i}`, 'etl')),
        waitUntil: '2026-12-01T09:58:00.000Z',
      };
      await deps.store.join({ ...stale, enteredAt: deps.clock().toISOString() });
    }
    const fresh = await enter(deps, 'new', 'etl');

    const summary = await runDispatcher([fresh], deps);

    expect(summary.admitted).toBe(1);
    expect(deps.tokens.succeeded).toEqual(['token-new']);
    expect(deps.store.waiting('etl')).toBe(0);
  });

  describe("an old attempt's enter applied late (a set-aside wake event the sweep retries)", () => {
    /** The enter of a query's redriven attempt (its execution `<id>__r1`). */
    const secondAttempt = (first: EnterEvent): EnterEvent => ({
      ...first,
      attempt: 2,
      executionArn: arn(`${first.queryId}__r1`),
      taskToken: `${first.taskToken}__r1`,
    });

    it('never takes the slot of the newer attempt that holds it', async () => {
      const { deps } = setup();
      const first = await enter(deps, 'a1', 'adhoc');
      await runDispatcher([first], deps);
      await markRunning(deps, 'a1');
      // Throttled and deferred: its slot is released; the redrive's attempt 2 is given a slot.
      await runDispatcher([{ type: 'release', queryId: 'a1', executionArn: arn('a1') }], deps);
      await deps.ledger.update('a1', { status: 'QUEUED' }, ['RUNNING']);
      await runDispatcher([secondAttempt(first)], deps);
      await markRunning(deps, 'a1', arn('a1__r1'));

      await runDispatcher([first], deps);

      expect(await deps.store.holders()).toEqual([expect.objectContaining({ executionArn: arn('a1__r1') })]);
      expect(await deps.store.heads('adhoc', 10)).toEqual([]);
      expect(deps.ledger.records.get('a1')?.executionArn).toBe(arn('a1__r1'));
    });

    it('never replaces the newer attempt waiting in its place', async () => {
      const { deps } = setup();
      await runDispatcher([await enter(deps, 'b1', 'adhoc')], deps); // adhoc's one slot is taken
      const first = await enter(deps, 'a1', 'adhoc');
      await runDispatcher([secondAttempt(first)], deps);

      await runDispatcher([first], deps);
      await runDispatcher([{ type: 'release', queryId: 'b1', executionArn: arn('b1') }], deps);

      expect(deps.tokens.succeeded).toEqual(['token-b1', 'token-a1__r1']);
      expect(deps.ledger.records.get('a1')?.executionArn).toBe(arn('a1__r1'));
    });
  });

  it('admits the rest when one admission fails, and admits that one on the next pass', async () => {
    const { deps } = setup();
    const succeed = deps.tokens.succeed.bind(deps.tokens);
    let throttled = 0;
    deps.tokens.succeed = async (token) => {
      if (token === 'token-s2' && throttled++ === 0) throw new Error('ThrottlingException: Rate exceeded');
      return succeed(token);
    };
    const events = [await enter(deps, 's1', 'science'), await enter(deps, 's2', 'science')];

    const first = await runDispatcher(events, deps);

    expect(first).toMatchObject({
      admitted: 1,
      failedAdmissions: [{ queryId: 's2', error: 'Error: ThrottlingException: Rate exceeded' }],
      nextPassInMs: ADMIT_RETRY_MS,
    });
    expect(await runDispatcher([], deps)).toMatchObject({ admitted: 1, failedAdmissions: [] });
    expect(deps.tokens.succeeded).toEqual(['token-s1', 'token-s2']);
    expect((await deps.store.holders()).map((h) => h.queryId).sort()).toEqual(['s1', 's2']);
    expect(await deps.store.heads('science', 10)).toEqual([]);
  });

  it('keeps passing while queries wait only for the start rate, and hands over when the budget ends', async () => {
    const { deps, advance } = setup();
    const paced = {
      ...deps,
      config: parseConfig({
        quota: { activeDmlQueries: 4, headroom: 0 },
        defaultClass: 'science',
        admission: { startsPerSecond: 1 },
        classes: { science: { guaranteedSlots: 0, maxSlots: 4 } },
      }),
      rate: new StartRate(1),
    };
    const events = [];
    for (const id of ['s1', 's2', 's3', 's4']) events.push(await enter(paced, id, 'science'));
    let elapsed = 0;

    const summary = await dispatchInvocation(events, paced, {
      budgetMs: 2500,
      sleep: async (ms) => {
        elapsed += ms;
        advance(ms);
      },
      elapsedMs: () => elapsed,
    });

    // One start a second: passes at 0, 1 and 2 s; the fourth would pass the budget, so the next
    // invocation is asked for.
    expect(summary).toMatchObject({ passes: 3, admitted: 1, waiting: 1, nextPassInMs: expect.any(Number) });
    expect(deps.tokens.succeeded).toEqual(['token-s1', 'token-s2', 'token-s3']);
  });

  it('rejects a query entering the line of a class no longer in the config', async () => {
    const { deps } = setup();

    await runDispatcher([await enter(deps, 'g1', 'gone')], deps);

    expect(deps.tokens.failed).toEqual([{ token: 'token-g1', error: 'athena-wlm.UnknownClass' }]);
    expect(await deps.store.heads('gone', 10)).toEqual([]);
  });

  it('drops what is not a wake event and counts it', async () => {
    const { deps } = setup();

    expect((await runDispatcher(['not json', { type: 'enter' }], deps)).invalid).toBe(2);
  });
});
