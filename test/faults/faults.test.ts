/**
 * `npm run test:faults`: the fault harness. `npm test` runs it small (FAULT_TRIALS unset: 2 trials);
 * `npm run test:faults` in full. FAULT_SEED replays a run.
 *
 * - SIGKILL of `npm start` (local/main.ts in a child process, one data dir for every trial) at a random
 *   moment while a round of INSERT queries is being submitted and run, each trial with one Task state
 *   failing once at random (ATHENA_WLM_TEST_FAULTS); then a last start without faults drains it all.
 *   Every accepted query ends exactly once and SUCCEEDED, with one Athena run for its
 *   ClientRequestToken, one execution that took one way out, no slot or line entry left, and its INSERT
 *   wrote its row exactly once. An unanswered POST is either absent or ran the same way.
 * - The redrive run twice at once, over the same deferred messages.
 * - Data dirs that cannot be used are refused clearly, nothing started.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { clientRequestToken } from '../../contracts/execution-naming';
import type { QueryView } from '../../functions/core/query-view';
import { redriveDeferred } from '../../functions/core/redrive';
import { messageQueueOf } from '../../local/store/sqlite-queue';
import { TEST_FAULTS_ENV } from '../../local/test-faults';
import { dispatchState, enteredStates } from '../local/e2e/invariants';
import {
  athenaExecutions,
  executionNamesOf,
  getQuery,
  http,
  killMain,
  type MainProcess,
  readAllResults,
  removeDir,
  runtimeRows,
  sleep,
  spawnMain,
  startTestRuntime,
  submit,
  tempDir,
  waitFor,
  waitForEnd,
} from '../local/e2e/support';

const TRIALS = Number(process.env.FAULT_TRIALS ?? 2);
const SEED = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** Submissions per trial. */
const ROUND = 24;

const CONFIG = {
  quota: { activeDmlQueries: 10, headroom: 0 },
  defaultClass: 'work',
  classes: { work: { guaranteedSlots: 0, maxSlots: 4 }, batch: { guaranteedSlots: 0, maxSlots: 3 } },
};
const CLASSES = Object.keys(CONFIG.classes);

/**
 * Task states and an error each retries (the state machine's Retry), so that a query whose Task
 * failed once still succeeds: a failure here must cost a retry, never a second run or a lost query.
 */
const TASK_FAULTS = [
  { state: 'EnterLine', error: 'SQS.AmazonSQSException' },
  { state: 'MarkRunning', error: 'DynamoDB.InternalServerErrorException' },
  { state: 'StartQuery', error: 'Athena.InternalServerException' },
  { state: 'ReleaseSlot', error: 'SQS.AmazonSQSException' },
  { state: 'RecordSucceeded', error: 'DynamoDB.InternalServerErrorException' },
] as const;

const MARKS_TABLE = "CREATE EXTERNAL TABLE marks (query_id string) LOCATION 's3://athena-wlm-faults/marks/'";

/** One trial's plan, drawn from the seed. */
interface Trial {
  /** Killed this long after it is ready, or after it was spawned when `duringStart`. */
  readonly killAfterMs: number;
  readonly duringStart: boolean;
  readonly fault: (typeof TASK_FAULTS)[number] & { readonly nth: number };
  /** Delays before each submission of the round, ms. */
  readonly staggerMs: readonly number[];
  /** How many already accepted submissions are POSTed again (a client retrying). */
  readonly retries: number;
}

const trialsArbitrary: fc.Arbitrary<Trial[]> = fc.array(
  fc.record({
    killAfterMs: fc.integer({ min: 0, max: 4000 }),
    duringStart: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
    fault: fc
      .tuple(fc.constantFrom(...TASK_FAULTS), fc.integer({ min: 1, max: 4 }))
      .map(([fault, nth]) => ({ ...fault, nth })),
    staggerMs: fc.array(fc.integer({ min: 0, max: 1500 }), { minLength: ROUND, maxLength: ROUND }),
    retries: fc.integer({ min: 0, max: 4 }),
  }),
  { minLength: TRIALS, maxLength: TRIALS },
);

describe('the fault harness', () => {
  let dir: string;
  let main: MainProcess | undefined;

  beforeAll(() => {
    dir = tempDir('faults');
  });
  afterAll(async () => {
    await killMain(main);
    removeDir(dir);
  });

  it(
    `SIGKILLs npm start at random points over ${TRIALS} trials, a Task failing once in each: every accepted query ends once`,
    async () => {
      const [trials] = fc.sample(trialsArbitrary, { numRuns: 1, seed: SEED });
      const dataDir = join(dir, 'data');
      const configFile = join(dir, 'config.json');
      writeFileSync(configFile, JSON.stringify(CONFIG));
      const args = [
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--config',
        configFile,
        '--no-sample-data',
        // Queries take a few hundred ms in Athena, so kills find them queued, running and in line.
        '--latency-ms',
        '600',
        '--visibility-timeout',
        '1',
      ];

      main = spawnMain(args);
      let url = await main.ready;
      expect((await waitForEnd(url, await submit(url, { query: MARKS_TABLE }))).status).toBe('SUCCEEDED');
      await killMain(main);

      const accepted = new Set<string>();
      const unanswered = new Set<string>();
      const counts = { posts: 0, retried: 0, beforeReady: 0 };
      for (const [t, trial] of trials.entries()) {
        main = spawnMain(args, { [TEST_FAULTS_ENV]: JSON.stringify({ taskThrowsOnce: trial.fault }) });
        const child = main;
        const kill = () => child.child.kill('SIGKILL');
        // A start cut short is a fault too.
        const killedEarly = trial.duringStart ? sleep(trial.killAfterMs).then(kill) : undefined;
        const ready = await child.ready.then(
          (u) => u,
          () => undefined,
        );
        if (!ready) {
          counts.beforeReady++;
          await child.exited;
          continue;
        }
        url = ready;
        const began = Date.now();
        const killed = killedEarly ?? sleep(trial.killAfterMs).then(kill);
        const ids = Array.from({ length: ROUND }, (_, i) => `k${t}-${i}`);
        const again = [...accepted].slice(0, trial.retries);
        const post = async (queryId: string, delayMs: number) => {
          await sleep(Math.max(0, delayMs - (Date.now() - began)));
          counts.posts++;
          try {
            // The same class for a retry: the same submission, which must be answered 202 again.
            const workgroup = CLASSES[Number(queryId.split('-')[1]) % CLASSES.length];
            const answer = await http('POST', `${url}/workgroups/${workgroup}/queries`, {
              queryId,
              query: `INSERT INTO marks VALUES ('${queryId}')`,
            });
            if (answer.status !== 202)
              throw new Error(`POST ${queryId} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
            accepted.add(queryId);
          } catch (error) {
            if ((error as Error).message.startsWith('POST ')) throw error;
            if (!accepted.has(queryId)) unanswered.add(queryId);
          }
        };
        await Promise.all([
          ...ids.map((id, i) => post(id, trial.staggerMs[i])),
          ...again.map((id) => post(id, 0).then(() => counts.retried++)),
        ]);
        await killed;
        await child.exited;
      }
      for (const id of accepted) unanswered.delete(id);

      // The last start, without faults, drains what every trial left.
      main = spawnMain(args);
      url = await main.ready;
      const known = [...accepted, ...unanswered];
      const views = await waitFor(
        'every accepted query to end',
        async () => {
          const all = await Promise.all(known.map(async (id) => [id, await getQuery(url, id)] as const));
          const pending = all.filter(([id, v]) => (v ? !v.finished : accepted.has(id)));
          return pending.length === 0
            ? new Map(all.filter((e): e is [string, QueryView] => !!e[1]))
            : undefined;
        },
        { timeoutMs: 120_000, everyMs: 250 },
      );
      const marks = await submit(url, {
        query: 'SELECT query_id, count(*) AS n FROM marks GROUP BY query_id ORDER BY query_id',
      });
      expect((await waitForEnd(url, marks)).status).toBe('SUCCEEDED');
      const rows = (await readAllResults(url, marks)).rows;
      await killMain(main);

      const ran = [...views.values()];
      if (process.env.FAULT_TRIALS) {
        // A trial killed before its fault's n-th run of the state never threw it; nothing else throws
        // these errors locally.
        const thrown = runtimeRows<{ state: string; error: string }>(
          dataDir,
          "SELECT json_extract(event, '$.state.name') AS state, json_extract(event, '$.Error') AS error FROM execution_events WHERE type = 'StateFailed'",
        ).filter((f) => TASK_FAULTS.some((t) => t.state === f.state && t.error === f.error)).length;
        console.log(
          `faults: seed ${SEED}, ${TRIALS} trials (${counts.beforeReady} killed before ready), ${counts.posts} POSTs ` +
            `(${counts.retried} retries of accepted ones), ${accepted.size} accepted, ${unanswered.size} unanswered ` +
            `(${ran.length - accepted.size} of them stored and run), ${ran.filter((v) => v.status === 'SUCCEEDED').length} SUCCEEDED; ` +
            `faults planned: ${trials.map((tr) => `${tr.fault.state}#${tr.fault.nth}`).join(', ')}; thrown: ${thrown}`,
        );
      }

      // Exactly one terminal status each, and it is SUCCEEDED: a fault costs a retry, never the query.
      expect(ran.map((v) => [v.queryId, v.status, v.attempts, v.redrives])).toEqual(
        ran.map((v) => [v.queryId, 'SUCCEEDED', 1, 0]),
      );
      // Each INSERT wrote its row once: none lost, none duplicated.
      expect(rows).toEqual(
        ran
          .map((v) => v.queryId)
          .sort()
          .map((id) => [id, '1']),
      );
      // One Athena run per ClientRequestToken, the one each record names.
      const runs = athenaExecutions(dataDir).filter((r) => r.query.startsWith('INSERT'));
      const tokens = runs.map((r) => r.clientRequestToken);
      expect(new Set(tokens).size).toBe(tokens.length);
      for (const view of ran) {
        const mine = runs.filter((r) => r.clientRequestToken === clientRequestToken(view.queryId, 1));
        expect(mine.map((r) => [r.id, r.state])).toEqual([[view.athenaQueryExecutionId, 'SUCCEEDED']]);
      }
      // One execution per query, closed, and it took one way out: RecordSucceeded, and no other.
      const executions = runtimeRows<{ arn: string; name: string; status: string }>(
        dataDir,
        "SELECT arn, name, status FROM executions WHERE name LIKE 'k%'",
      );
      expect(executions.map((e) => [e.name, e.status]).sort()).toEqual(
        ran.map((v) => [v.queryId, 'SUCCEEDED']).sort(),
      );
      for (const execution of executions) {
        const outs = enteredStates(dataDir, execution.arn).filter((s) => /^Record[A-Z]/.test(s));
        expect(new Set(outs)).toEqual(new Set(['RecordSucceeded']));
      }
      // Nothing held, nobody in line, no message left.
      expect(await dispatchState(dataDir, CLASSES)).toEqual({ holders: [], inLine: [], waitStatus: {} });
      expect(runtimeRows(dataDir, 'SELECT queue, body FROM queue_messages')).toEqual([]);
    },
    60_000 + TRIALS * 30_000,
  );

  it('runs the redrive twice at once over the same deferred messages without a second run', async () => {
    // Athena takes 2 queries where admission plans 10: the rest are throttled past their retries and deferred.
    const t = await startTestRuntime({
      config: {
        quota: { activeDmlQueries: 10, headroom: 0 },
        classes: { work: { guaranteedSlots: 0, maxSlots: 10 } },
        defaultClass: 'work',
      },
      athenaQuota: 2,
      latency: { queueMs: 1500, planningMs: 0 },
      redriveEveryMs: 3_600_000,
    });
    try {
      const ids = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          submit(t.url, { queryId: `redrive-${i}`, query: `SELECT ${i} AS n` }),
        ),
      );
      const deferred = await waitFor('queries to be deferred', async () => {
        const views = await Promise.all(ids.map((id) => getQuery(t.url, id)));
        const ended = views.filter((v) => v?.status === 'SUCCEEDED' || v?.status === 'DEFERRED');
        return ended.length === ids.length ? views.filter((v) => v?.status === 'DEFERRED') : undefined;
      });
      expect(deferred.length).toBeGreaterThan(0);
      await waitFor('the deferred messages', () => t.runtime.queues.deferred.depth() === deferred.length);

      // Both runs see every message (visibility 0: as a redelivery to an overlapping run would).
      const { runtime } = t;
      const deps = {
        config: runtime.config,
        ledger: runtime.ledger,
        metrics: runtime.metrics,
        clock: () => new Date(),
        queries: messageQueueOf(runtime.queues.queries),
        failed: messageQueueOf(runtime.queues.failed),
        deferred: messageQueueOf(runtime.queues.deferred, { visibilityTimeoutSeconds: 0 }),
      };
      await Promise.all([redriveDeferred(deps), redriveDeferred(deps)]);
      runtime.starter.poke();

      // Those throttled again wait for later redrives: the schedule's, one at a time.
      const later = setInterval(() => void runtime.redriveNow(), 1000);
      const views = await Promise.all(ids.map((id) => waitForEnd(t.url, id, 60_000))).finally(() =>
        clearInterval(later),
      );
      expect(views.map((v) => v.status)).toEqual(ids.map(() => 'SUCCEEDED'));
      const runs = athenaExecutions(t.dataDir);
      for (const view of views) {
        const names = executionNamesOf(runtime, view.queryId);
        expect(names).toEqual(
          Array.from({ length: view.attempts }, (_, a) =>
            a === 0 ? view.queryId : `${view.queryId}__r${a}`,
          ),
        );
        // A throttled attempt never started a run; none started two; the last one's run is the record's.
        for (let attempt = 1; attempt <= view.attempts; attempt++) {
          const mine = runs.filter((r) => r.clientRequestToken === clientRequestToken(view.queryId, attempt));
          if (attempt < view.attempts) expect(mine.length).toBeLessThanOrEqual(1);
          else expect(mine.map((r) => [r.id, r.state])).toEqual([[view.athenaQueryExecutionId, 'SUCCEEDED']]);
        }
      }
      expect(
        views
          .filter((v) => v.redrives > 0)
          .map((v) => v.queryId)
          .sort(),
      ).toEqual(deferred.map((v) => v!.queryId).sort());
    } finally {
      await t.close();
    }
  }, 90_000);

  describe('refuses a data dir it cannot use, saying why, before it starts anything', () => {
    const start = async (dataDir: string, options: { uid?: number } = {}) => {
      const child = spawnMain(['--port', '0', '--data-dir', dataDir, '--no-sample-data'], {}, options);
      const { code } = await child.exited;
      return { code, ...child.output() };
    };

    it('read-only', async () => {
      const dataDir = join(dir, 'read-only');
      mkdirSync(dataDir);
      chmodSync(dir, 0o755);
      // Root writes anywhere: as root the server runs as nobody, for whom the dir is read-only.
      const root = process.getuid?.() === 0;
      if (!root) chmodSync(dataDir, 0o555);
      const { code, stderr, stdout } = await start(dataDir, root ? { uid: 65_534 } : {});
      expect(code).toBe(1);
      expect(stderr).toContain(
        `Cannot use ${join(dataDir, 'athena-wlm.db')}: it cannot be opened for writing`,
      );
      expect(stderr).not.toMatch(/^\s+at /m);
      expect(stdout).not.toMatch(/is running at/);
    }, 30_000);

    it('a file where the data dir should be', async () => {
      const file = join(dir, 'a-file');
      writeFileSync(file, '');
      const { code, stderr } = await start(join(file, 'data'));
      expect(code).toBe(1);
      expect(stderr).toContain(
        `Cannot use ${join(file, 'data')} as the data dir: it (or a folder above it) is a file`,
      );
    }, 30_000);

    it("a corrupt DuckDB catalog (the local Athena's tables)", async () => {
      const dataDir = join(dir, 'corrupt-duckdb');
      mkdirSync(join(dataDir, 'athena'), { recursive: true });
      const file = join(dataDir, 'athena', 'awsdatacatalog.duckdb');
      writeFileSync(file, 'not a DuckDB file '.repeat(1000));
      const { code, stderr } = await start(dataDir);
      expect(code).toBe(1);
      expect(stderr).toContain(`Cannot use ${file}: it is not a readable DuckDB database`);
      expect(stderr).toMatch(/move it aside to start with an empty catalog/);
      expect(stderr).not.toMatch(/^\s+at /m);
    }, 30_000);
  });
});
