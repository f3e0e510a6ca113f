/**
 * The whole local pipeline over real HTTP: API -> SQLite queue -> starter -> run-query executed by
 * aws-local-stepfunctions, waiting in its class's line for the dispatcher -> DuckDB Athena -> ledger ->
 * results API. One runtime (small
 * sample tables, no latency) serves every test of this file.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { clientRequestToken } from '../../../contracts/execution-naming';
import { MAX_QUERY_BYTES } from '../../../contracts/submission';
import {
  asMultiset,
  athenaExecutions,
  executionNamesOf,
  getQuery,
  heldSlots,
  http,
  LONG_QUERY,
  readAllResults,
  SMALL_SAMPLE,
  startQueryAttempts,
  startQueryRetries,
  startTestRuntime,
  submit,
  type TestRuntime,
  waitFor,
  waitForEnd,
  waitForStatus,
} from './support';

/** The reference sample's JMeter request body, byte for byte. */
const JMETER_BODY =
  '{"userId":"e586fd16-61bc-4f21-b2b9-1b8b69066510","queryId":"79a9aac3-e82b-4ed9-9fd5-eda242a4ad72","query":"SELECT COUNT(request_verb) AS count, request_verb, client_ip FROM alb_logs GROUP BY request_verb, client_ip;"}';
const JMETER = JSON.parse(JMETER_BODY) as { userId: string; queryId: string; query: string };

const CONFIG = {
  quota: { activeDmlQueries: 10, headroom: 0 },
  defaultClass: 'adhoc',
  classes: {
    adhoc: { guaranteedSlots: 0, maxSlots: 4 },
    scan: { guaranteedSlots: 0, maxSlots: 2, bytesScannedCutoffPerQuery: 10_000_000 },
    solo: { guaranteedSlots: 0, maxSlots: 1 },
    line: { guaranteedSlots: 0, maxSlots: 1 },
  },
};

let t: TestRuntime;

beforeAll(async () => {
  t = await startTestRuntime({ config: CONFIG, sampleData: SMALL_SAMPLE });
}, 60_000);

afterAll(async () => {
  await t?.close();
});

/** The Athena execution a query's first attempt started, found by its ClientRequestToken. */
const athenaRunOf = (queryId: string, attempt = 1) =>
  athenaExecutions(t.dataDir).find((e) => e.clientRequestToken === clientRequestToken(queryId, attempt));

/** The states an execution entered, in order. */
const enteredStates = (executionArn: string) =>
  t.runtime.stepFunctions
    .getExecutionHistory(executionArn)
    .events.filter((e) => e.type === 'StateEntered')
    .map((e) => ('state' in e ? e.state.name : ''));

/** Sum of a metric over the last hour. */
const metric = (name: string, className?: string) =>
  t.runtime.metrics.total(name, 60, className ? { dimensions: { className } } : {});

describe('bad input', () => {
  it('answers 4xx JSON naming the field or problem, and enqueues nothing', async () => {
    const send = jest.spyOn(t.runtime.queues.queries, 'send');
    const post = (path: string, body: unknown, headers?: Record<string, string>) =>
      http<{ message: string; errors?: { field: string; problem: string }[] }>(
        'POST',
        `${t.url}${path}`,
        body,
        headers,
      );
    const fields = (answer: Awaited<ReturnType<typeof post>>) => answer.body.errors?.map((e) => e.field);

    const missingQuery = await post('/athena/query', { queryId: 'bad-missing-query' });
    expect(missingQuery.status).toBe(400);
    expect(fields(missingQuery)).toEqual(['query']);
    expect(missingQuery.body.message).toMatch(/query/);

    const unknownField = await post('/athena/query', {
      queryId: 'bad-unknown-field',
      query: 'SELECT 1',
      priority: 'high',
    });
    expect(unknownField.status).toBe(400);
    expect(fields(unknownField)).toEqual(['priority']);
    expect(unknownField.body.message).toMatch(/priority/);

    const badId = await post('/athena/query', { queryId: 'not a valid id!', query: 'SELECT 1' });
    expect(badId.status).toBe(400);
    expect(fields(badId)).toEqual(['queryId']);
    expect(badId.body.errors?.[0].problem).toMatch(/letters, digits/);

    const longSql = `SELECT '${'x'.repeat(262_144)}'`;
    const tooLong = await post('/athena/query', { queryId: 'bad-too-long', query: longSql });
    expect(tooLong.status).toBe(400);
    expect(new Set(fields(tooLong))).toEqual(new Set(['query']));
    expect(tooLong.body.message).toMatch(/262,?144/);

    const unknownClass = await post('/workgroups/no-such-class/queries', { query: 'SELECT 1' });
    expect(unknownClass.status).toBe(404);
    expect(unknownClass.contentType).toMatch(/application\/json/);
    expect(unknownClass.body.message).toMatch(/no-such-class/);
    expect(unknownClass.body.message).toMatch(/adhoc, scan, solo, line/);

    const notJson = await post('/athena/query', '{"query": "SELECT 1",', {
      'content-type': 'application/json',
    });
    expect(notJson.status).toBe(400);
    expect(notJson.contentType).toMatch(/application\/json/);
    expect(notJson.body.message).toMatch(/not valid JSON/);

    const noBody = await http<{ errors: { field: string }[] }>('POST', `${t.url}/athena/query`, undefined, {
      'content-type': 'application/json',
    });
    expect(noBody.status).toBe(400);
    expect(noBody.body.errors.map((e) => e.field)).toEqual(['query']);

    for (const [query, problem] of [
      [' \n\t ', /whitespace or comments/],
      ['-- SELECT 1', /whitespace or comments/],
      ['/* SELECT 1 */\n-- and nothing else', /whitespace or comments/],
      ['SELECT 1\u0000; DROP TABLE x', /NUL/],
      ['SELECT \ud800', /not valid Unicode/],
    ] as const) {
      const refused = await post('/athena/query', { query });
      expect(refused.status).toBe(400);
      expect(refused.body.errors).toEqual([{ field: 'query', problem: expect.stringMatching(problem) }]);
    }

    // Bytes that are not UTF-8: refused, not decoded to U+FFFD and run.
    const notUtf8 = await fetch(`${t.url}/athena/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.concat([
        Buffer.from('{"query":"SELECT \''),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('\'"}'),
      ]),
    });
    expect(notUtf8.status).toBe(400);
    expect(await notUtf8.json()).toMatchObject({
      field: 'body',
      message: expect.stringMatching(/not valid UTF-8.*offset 19/),
    });

    expect(send).not.toHaveBeenCalled();
    send.mockRestore();
    expect(t.runtime.queues.queries.depth()).toBe(0);
    expect(t.runtime.queues.failed.depth()).toBe(0);
    for (const id of ['bad-missing-query', 'bad-unknown-field', 'bad-too-long']) {
      expect(await getQuery(t.url, id)).toBeUndefined();
    }
  });
});

describe('the longest query', () => {
  it(`runs a query of exactly the documented maximum (${MAX_QUERY_BYTES} bytes) and refuses one byte more at the edge`, async () => {
    const head = 'SELECT 42 AS answer /*';
    const tail = '*/';
    const longest = `${head}${'x'.repeat(MAX_QUERY_BYTES - head.length - tail.length)}${tail}`;
    expect(Buffer.byteLength(longest)).toBe(MAX_QUERY_BYTES);

    const queryId = await submit(t.url, { query: longest });
    const view = await waitForEnd(t.url, queryId, 60_000);
    expect(view.error).toBeUndefined();
    expect(view.status).toBe('SUCCEEDED');
    expect((await readAllResults(t.url, queryId)).rows).toEqual([['42']]);

    const over = await http<{ errors: { field: string; problem: string }[] }>(
      'POST',
      `${t.url}/athena/query`,
      {
        query: `${longest} `,
      },
    );
    expect(over.status).toBe(400);
    expect(over.body.errors.map((e) => e.field)).toContain('query');
  });

  it('refuses at the edge a shorter query whose newlines and quotes would not fit the run input', async () => {
    // Each line is 5 bytes here and 7 once JSON-escaped (the quote and the newline take two).
    const lines = `SELECT 1\n${'-- "\n'.repeat(Math.floor((MAX_QUERY_BYTES * 0.8) / 5))}`;
    expect(Buffer.byteLength(lines)).toBeLessThan(MAX_QUERY_BYTES);
    const send = jest.spyOn(t.runtime.queues.queries, 'send');

    const refused = await http<{ errors: { field: string; problem: string }[] }>(
      'POST',
      `${t.url}/athena/query`,
      {
        query: lines,
      },
    );

    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([
      { field: 'query', problem: expect.stringMatching(/bytes too long/) },
    ]);
    expect(send).not.toHaveBeenCalled();
    send.mockRestore();
  });
});

describe("the reference sample's request", () => {
  it('runs to SUCCEEDED and returns exactly the rows the engine computes, once', async () => {
    const startsBefore = metric('StartQueryCount', 'adhoc');
    // The JMeter body sent as JMeter sends it, twice at once: a client retry must not run the query twice.
    const [first, second] = await Promise.all(
      [1, 2].map(() => http('POST', `${t.url}/athena/query`, JMETER_BODY)),
    );
    for (const answer of [first, second]) {
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual({
        queryId: JMETER.queryId,
        statusUrl: `${t.url}/queries/${JMETER.queryId}`,
      });
    }

    const view = await waitForEnd(t.url, JMETER.queryId);
    expect(view).toMatchObject({
      queryId: JMETER.queryId,
      className: 'adhoc',
      userId: JMETER.userId,
      query: JMETER.query,
      status: 'SUCCEEDED',
      attempts: 1,
      redrives: 0,
      athenaWorkGroup: 'athena-wlm-adhoc',
      finished: true,
    });
    expect(view.athenaQueryExecutionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(view.dataScannedBytes).toBeGreaterThan(0);
    for (const timing of [
      'engineTimeMs',
      'totalTimeMs',
      'athenaQueueTimeMs',
      'queueWaitMs',
      'elapsedMs',
    ] as const) {
      expect(view[timing]).toEqual(expect.any(Number));
    }
    expect(view.engineTimeMs).toBeGreaterThan(0);
    expect(Date.parse(view.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(view.startedAt!));
    expect(view.outputLocation).toBe(
      `s3://athena-wlm-local-results/results/adhoc/${view.athenaQueryExecutionId}.csv`,
    );

    const piped = await readAllResults(t.url, JMETER.queryId, 500);
    expect(piped.columns.map((c) => c.name)).toEqual(['count', 'request_verb', 'client_ip']);
    expect(piped.columns.map((c) => c.type)).toEqual(['bigint', 'varchar', 'varchar']);
    expect(piped.pages).toBeGreaterThan(1);

    // LocalAthena exposes no DuckDB connection of its own (and DuckDB locks its file, so a second
    // instance cannot open it), so the engine's answer comes from the same SQL run straight on
    // runtime.athena in the `primary` className: no queue, no state machine, no ledger, no results API.
    const { QueryExecutionId } = await t.runtime.athena.startQueryExecution({
      QueryString: JMETER.query,
      WorkGroup: 'primary',
    });
    const direct = await t.runtime.athena.waitForQueryExecution(QueryExecutionId);
    expect(direct.QueryExecution.Status?.State).toBe('SUCCEEDED');
    const engineRows: (string | null)[][] = [];
    let nextToken: string | undefined;
    do {
      const page = await t.runtime.athena.getQueryResults({
        QueryExecutionId,
        MaxResults: 1000,
        NextToken: nextToken,
      });
      const rows = page.ResultSet.Rows.map((r) => r.Data.map((d) => d.VarCharValue ?? null));
      engineRows.push(...(nextToken === undefined ? rows.slice(1) : rows));
      nextToken = page.NextToken;
    } while (nextToken);

    expect(piped.rows).toHaveLength(engineRows.length);
    expect(asMultiset(piped.rows)).toEqual(asMultiset(engineRows));
    // Every generated log line parsed and was counted once.
    expect(piped.rows.reduce((sum, row) => sum + Number(row[0]), 0)).toBe(SMALL_SAMPLE.albLogLines);

    const csv = await http<string>('GET', `${t.url}/queries/${JMETER.queryId}/results.csv`);
    expect(csv.status).toBe(200);
    expect(csv.contentType).toMatch(/text\/csv/);
    expect(csv.body.trim().split('\n')).toHaveLength(engineRows.length + 1);

    // A third POST after the end: still the one run.
    expect((await http('POST', `${t.url}/athena/query`, JMETER_BODY)).status).toBe(202);
    await waitFor('the intake queue to drain', () => t.runtime.queues.queries.depth() === 0);
    expect(executionNamesOf(t.runtime, JMETER.queryId)).toEqual([JMETER.queryId]);
    const runs = athenaExecutions(t.dataDir).filter(
      (e) => e.query === JMETER.query && e.workGroup !== 'primary',
    );
    expect(runs.map((e) => e.id)).toEqual([view.athenaQueryExecutionId]);
    expect(metric('StartQueryCount', 'adhoc') - startsBefore).toBe(1);
    expect(await getQuery(t.url, JMETER.queryId)).toMatchObject({
      status: 'SUCCEEDED',
      attempts: 1,
      athenaQueryExecutionId: view.athenaQueryExecutionId,
    });
  });
});

describe('failures Athena decides', () => {
  it("fails bad SQL with the engine's message, without retrying it", async () => {
    const sql = "SELECT request_verb FROM alb_logs WHERE AND request_verb = 'GET'";
    // What DuckDB itself says about this SQL, from an instance of its own.
    const duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    const duckMessage = await connection.run(sql).then(
      () => '',
      (error: Error) => error.message,
    );
    connection.closeSync();
    duck.closeSync();
    const engineText = duckMessage.replace(/^[A-Za-z ]+ Error: /, '').split('\n')[0];
    expect(engineText).toMatch(/syntax error/);

    const queryId = await submit(t.url, { query: sql });
    const view = await waitForEnd(t.url, queryId);

    expect(view.status).toBe('FAILED');
    expect(view.reason).toContain(engineText);
    expect(view.error).toEqual({ code: 'States.TaskFailed', message: view.reason });
    const execution = t.runtime.stepFunctions.describeExecution(view.executionArn!);
    expect(execution.status).toBe('FAILED');
    const { events } = t.runtime.stepFunctions.getExecutionHistory(view.executionArn!);
    expect(startQueryAttempts(events)).toBe(1);
    expect(startQueryRetries(events)).toBe(0);
    const athena = athenaExecutions(t.dataDir).filter((e) => e.query === sql);
    expect(athena).toHaveLength(1);
    expect(athena[0].state).toBe('FAILED');
    expect(executionNamesOf(t.runtime, queryId)).toEqual([queryId]);
    expect(await heldSlots(t.runtime)).toEqual([]);
  });

  it("cancels a query that passes its class's scan cutoff, with Athena's reason", async () => {
    // About 12.8 MB of uncompressed text: billed by its size on disk, as Athena bills text.
    const { QueryExecutionId } = await t.runtime.athena.startQueryExecution({
      QueryString:
        "CREATE TABLE wide_text WITH (format = 'TEXTFILE', write_compression = 'NONE') AS SELECT i, lpad('', 100, 'x') AS pad FROM UNNEST(sequence(1, 120000)) AS t(i)",
      WorkGroup: 'primary',
    });
    const created = await t.runtime.athena.waitForQueryExecution(QueryExecutionId);
    expect(created.QueryExecution.Status?.State).toBe('SUCCEEDED');
    const sql = 'SELECT count(*) AS n, max(length(pad)) AS width FROM wide_text';

    const [capped, uncapped] = await Promise.all([
      submit(t.url, { query: sql }, 'scan'),
      submit(t.url, { query: sql }),
    ]);
    const [cappedView, uncappedView] = await Promise.all([
      waitForEnd(t.url, capped),
      waitForEnd(t.url, uncapped),
    ]);

    // The same SQL in a class without a cutoff succeeds: the cutoff, not the query, ends the other one.
    expect(uncappedView.status).toBe('SUCCEEDED');
    expect(uncappedView.dataScannedBytes).toBeGreaterThan(10_000_000);
    expect((await readAllResults(t.url, uncapped)).rows).toEqual([['120000', '100']]);

    expect(cappedView).toMatchObject({ status: 'CANCELLED', cancelledBy: 'athena' });
    expect(cappedView.reason).toContain('Bytes scanned limit was exceeded');
    expect(cappedView.error).toEqual({ code: 'CANCELLED', message: cappedView.reason });
    const run = athenaRunOf(capped);
    expect(run).toMatchObject({ state: 'CANCELLED', workGroup: 'athena-wlm-scan' });
    expect(run!.stateChangeReason).toBe('Query cancelled! : Bytes scanned limit was exceeded');
    expect(run!.dataScannedBytes).toBeGreaterThan(10_000_000);
    const answer = await http('GET', `${t.url}/queries/${capped}/results`);
    expect(answer.status).toBe(409);
  });
});

describe('DELETE /queries/{queryId}', () => {
  it('cancels a running query: execution aborted, Athena query cancelled, slot freed', async () => {
    const running = await submit(t.url, { query: LONG_QUERY }, 'solo');
    await waitForStatus(t.url, running, ['RUNNING']);
    await waitFor('its Athena query to run', () => athenaRunOf(running)?.state === 'RUNNING');
    const waiting = await submit(t.url, { query: 'SELECT 2 AS two' }, 'solo');
    const waitingView = await waitForStatus(t.url, waiting, ['WAITING_FOR_SLOT']);
    expect(waitingView.reason).toMatch(/solo is at its cap of 1 running query/);

    const cancelWaiting = await http('DELETE', `${t.url}/queries/${waiting}`);
    expect(cancelWaiting.status).toBe(200);
    expect(cancelWaiting.body).toMatchObject({ status: 'CANCELLED', previousStatus: 'WAITING_FOR_SLOT' });

    const cancelRunning = await http('DELETE', `${t.url}/queries/${running}`);
    expect(cancelRunning.status).toBe(200);
    expect(cancelRunning.body).toMatchObject({ status: 'CANCELLED', previousStatus: 'RUNNING' });
    const view = await getQuery(t.url, running);
    expect(view).toMatchObject({ status: 'CANCELLED', error: { code: 'CancelledByUser' } });
    expect(t.runtime.stepFunctions.describeExecution(view!.executionArn!).status).toBe('ABORTED');
    expect(athenaRunOf(running)).toMatchObject({ state: 'CANCELLED' });
    expect(t.runtime.athena.activeQueryCount()).toBe(0);
    expect((await heldSlots(t.runtime)).map((h) => h.queryId)).not.toContain(running);

    // The waiting query's execution waited in its class's line: the dispatcher failed its task token,
    // so it ended Skipped without running anything.
    expect(executionNamesOf(t.runtime, waiting)).toEqual([waiting]);
    const waitingArn = (await getQuery(t.url, waiting))!.executionArn!;
    expect(await t.runtime.stepFunctions.waitForExecution(waitingArn)).toMatchObject({ status: 'SUCCEEDED' });
    expect(enteredStates(waitingArn)).toEqual(['EnterLine', 'Skipped']);
    expect(await getQuery(t.url, waiting)).toMatchObject({ status: 'CANCELLED', attempts: 0 });
    expect(athenaRunOf(waiting)).toBeUndefined();
    expect(await heldSlots(t.runtime)).toEqual([]);
    expect(t.runtime.tokens.size).toBe(0);

    const again = await http<{ message: string; status: string }>('DELETE', `${t.url}/queries/${running}`);
    expect(again.status).toBe(409);
    expect(again.body.status).toBe('CANCELLED');
  }, 30_000);

  // Its own class, so that a place in line left behind would block no other test.
  it('gives up the place in line of a cancelled waiting query: the next one starts at once', async () => {
    const running = await submit(t.url, { query: LONG_QUERY }, 'line');
    await waitForStatus(t.url, running, ['RUNNING']);
    const waiting = await submit(t.url, { query: 'SELECT 2 AS two' }, 'line');
    await waitForStatus(t.url, waiting, ['WAITING_FOR_SLOT']);
    expect((await http('DELETE', `${t.url}/queries/${waiting}`)).status).toBe(200);
    expect((await http('DELETE', `${t.url}/queries/${running}`)).status).toBe(200);

    const next = await submit(t.url, { query: 'SELECT 3 AS three' }, 'line');
    const view = await waitForEnd(t.url, next, 4_000);

    expect(view.status).toBe('SUCCEEDED');
  }, 30_000);

  it('answers 409 for a query that already ended, and leaves it as it was', async () => {
    const queryId = await submit(t.url, { query: 'SELECT 42 AS answer' });
    const done = await waitForEnd(t.url, queryId);
    expect(done.status).toBe('SUCCEEDED');

    const answer = await http<{ message: string; status: string }>('DELETE', `${t.url}/queries/${queryId}`);

    expect(answer.status).toBe(409);
    expect(answer.body.status).toBe('SUCCEEDED');
    expect(answer.body.message).toMatch(/already SUCCEEDED/);
    expect(await getQuery(t.url, queryId)).toMatchObject({ status: 'SUCCEEDED' });
    expect((await readAllResults(t.url, queryId)).rows).toEqual([['42']]);
  });
});
