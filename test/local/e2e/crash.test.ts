/**
 * The crash test: `npm start`'s entry (local/main.ts) in a child process, killed with SIGKILL while
 * queries run and wait in line, then started again on the same data dir. Every accepted query must end
 * exactly once, no Athena query may run twice, and no slot may stay held.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clientRequestToken } from '../../../contracts/execution-naming';
import { isTerminal, type QueryStatus } from '../../../contracts/query-status';
import { dispatchState, eventTypes, enteredStates as statesOf } from './invariants';
import {
  athenaExecutions,
  getQuery,
  killMain,
  type MainProcess,
  readAllResults,
  removeDir,
  runtimeRows,
  spawnMain,
  tempDir,
  waitFor,
} from './support';

const QUERIES = 8;

describe('a kill -9 in the middle of a run', () => {
  let dir: string;
  let main: MainProcess | undefined;

  beforeAll(() => {
    dir = tempDir('crash');
  });

  afterAll(async () => {
    await killMain(main);
    removeDir(dir);
  });

  it('resumes after a restart and ends every accepted query exactly once, with one Athena run each', async () => {
    const dataDir = join(dir, 'data');
    const configFile = join(dir, 'config.json');
    // Three slots for eight queries of about 1.5 s each: at the kill some run and some wait.
    writeFileSync(
      configFile,
      JSON.stringify({
        quota: { activeDmlQueries: 10, headroom: 0 },
        defaultClass: 'work',
        classes: { work: { guaranteedSlots: 0, maxSlots: 3 } },
      }),
    );
    const args = [
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--config',
      configFile,
      '--no-sample-data',
      '--latency-ms',
      '1500',
      // A message the killed process had taken comes back after 2 s instead of 30.
      '--visibility-timeout',
      '2',
    ];

    const enteredStates = (arn: string) => statesOf(dataDir, arn);

    main = spawnMain(args);
    const firstUrl = await main.ready;
    const ids = Array.from({ length: QUERIES }, (_, i) => `crash-${i}`);
    for (const [i, queryId] of ids.entries()) {
      const answer = await fetch(`${firstUrl}/athena/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ queryId, query: `SELECT ${i} AS n` }),
      });
      expect(answer.status).toBe(202);
    }
    await waitFor('some queries running while others wait in line', async () => {
      const statuses = await Promise.all(ids.map(async (id) => (await getQuery(firstUrl, id))?.status));
      const running = statuses.filter((s) => s === 'RUNNING').length;
      const waiting = statuses.filter((s) => s === 'WAITING_FOR_SLOT').length;
      return running >= 2 && waiting >= 1;
    });

    main.child.kill('SIGKILL');
    expect((await main.exited).signal).toBe('SIGKILL');

    // What the crash left: executions still RUNNING (to be resumed) and queries not yet ended.
    const interrupted = runtimeRows<{ arn: string; name: string }>(
      dataDir,
      "SELECT arn, name FROM executions WHERE status = 'RUNNING'",
    );
    expect(interrupted.length).toBeGreaterThanOrEqual(1);
    const endedAtKill = runtimeRows<{ status: QueryStatus }>(
      dataDir,
      "SELECT json_extract(doc, '$.status') AS status FROM documents WHERE table_name = 'athena-wlm-ledger'",
    ).filter((r) => isTerminal(r.status)).length;
    // Queries not yet ended have an execution, running or waiting in line at EnterLine (a query
    // still in the intake queue has none yet).
    expect(interrupted.length).toBeLessThanOrEqual(QUERIES - endedAtKill);
    const enteredBeforeKill = interrupted.map(({ arn }) => enteredStates(arn));
    expect(enteredBeforeKill.some((states) => states.includes('StartQuery'))).toBe(true);
    expect(enteredBeforeKill.some((states) => states.join() === 'EnterLine')).toBe(true);

    main = spawnMain(args);
    const url = await main.ready;
    let unfinished: string[] = [];
    const views = await waitFor(
      'every query to end after the restart',
      async () => {
        const all = await Promise.all(ids.map((id) => getQuery(url, id)));
        unfinished = all
          .filter((v) => v && !v.finished)
          .map(
            (v) =>
              `${v!.queryId} ${v!.status} (${v!.reason ?? ''}): ${enteredStates(`${v!.executionArn}`).join(' > ')}`,
          );
        return all.every((v) => v?.finished) ? all.map((v) => v!) : undefined;
      },
      { timeoutMs: 90_000, everyMs: 100 },
    ).catch(async (error: Error) => {
      const state = JSON.stringify(await dispatchState(dataDir, ['work']));
      const events =
        unfinished.length > 0
          ? JSON.stringify(runtimeRows(dataDir, 'SELECT arn, name, runs, status FROM executions'))
          : '';
      throw new Error(
        `${error.message}; not ended: ${unfinished.join('; ')}; dispatch: ${state}; executions: ${events}`,
      );
    });

    expect(views.map((v) => v.status)).toEqual(ids.map(() => 'SUCCEEDED'));
    expect(views.map((v) => [v.attempts, v.redrives])).toEqual(ids.map(() => [1, 0]));
    for (const [i, id] of ids.entries()) expect((await readAllResults(url, id)).rows).toEqual([[String(i)]]);

    // One Athena run per query: the one its ClientRequestToken names, and the one the ledger recorded.
    const runs = athenaExecutions(dataDir);
    expect(runs).toHaveLength(QUERIES);
    for (const view of views) {
      const mine = runs.filter((r) => r.clientRequestToken === clientRequestToken(view.queryId, 1));
      expect(mine.map((r) => [r.id, r.state])).toEqual([[view.athenaQueryExecutionId, 'SUCCEEDED']]);
    }

    // One execution per query, each ended once; the interrupted ones were run again, not started anew.
    const executions = runtimeRows<{ arn: string; name: string; status: string; runs: number }>(
      dataDir,
      'SELECT arn, name, status, runs FROM executions ORDER BY name',
    );
    expect(executions.map((e) => [e.name, e.status])).toEqual([...ids].sort().map((id) => [id, 'SUCCEEDED']));
    // No execution took another way out. (Counting ExecutionSucceeded events would not do: a kill
    // between an execution's last event and its closing runs it again, and that run ends Skipped.)
    for (const execution of executions) {
      const entered = enteredStates(execution.arn);
      expect(entered).toContain('RecordSucceeded');
      expect(entered.filter((name) => /^Record(Failed|Cancelled|Deferred)$/.test(name))).toEqual([]);
      expect(eventTypes(dataDir, execution.arn)).not.toContain('ExecutionFailed');
    }
    for (const { arn } of interrupted) {
      expect(eventTypes(dataDir, arn)).toContain('ExecutionRestarted');
      expect(executions.find((e) => e.arn === arn)?.runs).toBe(2);
    }
    expect(runtimeRows(dataDir, 'SELECT * FROM queue_messages')).toEqual([]);

    // No slot left held and nobody left in line, read with the dispatch store itself once the process
    // is gone (every wake event was applied: the wake queue is empty above).
    await killMain(main);
    expect(await dispatchState(dataDir, ['work'])).toEqual({ holders: [], inLine: [], waitStatus: {} });
  }, 150_000);
});
