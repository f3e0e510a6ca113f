import { join } from 'node:path';
import { DEFAULT_CONFIG, parseConfig, type WlmConfig, workgroupNameOf } from '../../../contracts/config';
import { LocalAthena, type LocalAthenaOptions } from '../../../local/athena';
import type { AthenaForStepFunctions, HistoryEvent } from '../../../local/stepfunctions';
import { LOCAL_QUEUES } from '../../../local/store/local-names';
import { RunQueryStates } from '../../../state-machines/run-query';
import { localRuntime, TEST_CONFIG } from './harness';

/** The real LocalAthena, through the Step Functions port, recording the ids its starts return. */
class RecordingAthena implements AthenaForStepFunctions {
  readonly startedIds: string[] = [];
  private readonly port: AthenaForStepFunctions;
  constructor(readonly athena: LocalAthena) {
    // LocalAthena is the port as it is: no adapter in between.
    this.port = athena;
  }
  async startQueryExecution(input: Parameters<AthenaForStepFunctions['startQueryExecution']>[0]) {
    const out = await this.port.startQueryExecution(input);
    if (out.QueryExecutionId) this.startedIds.push(out.QueryExecutionId);
    return out;
  }
  waitForQueryExecution(id: string, signal?: AbortSignal) {
    return this.port.waitForQueryExecution(id, signal);
  }
  stopQueryExecution(input: { QueryExecutionId: string }) {
    return this.port.stopQueryExecution(input);
  }
}

function athenaOptions(
  dataDir: string,
  config: WlmConfig,
  extra: Partial<LocalAthenaOptions>,
): LocalAthenaOptions {
  return {
    dataDir: join(dataDir, 'athena'),
    activeQueryQuota: 20,
    workgroups: Object.fromEntries(
      Object.entries(config.classes).map(([name, c]) => [
        workgroupNameOf(config, name),
        { bytesScannedCutoffPerQuery: c.bytesScannedCutoffPerQuery },
      ]),
    ),
    ...extra,
  };
}

const retries = (events: HistoryEvent[], state: string) =>
  events.filter((e) => e.type === 'StateRetried' && e.state.name === state).length;

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('run-query with the real LocalAthena (DuckDB)', () => {
  let runtime: Awaited<ReturnType<typeof localRuntime>>;
  let recording: RecordingAthena;

  async function start(extra: Partial<LocalAthenaOptions> = {}, config: WlmConfig = TEST_CONFIG) {
    runtime = await localRuntime(
      async (dir, cfg) => {
        recording = new RecordingAthena(await LocalAthena.open(athenaOptions(dir, cfg, extra)));
        return recording;
      },
      { config },
    );
  }

  afterEach(async () => {
    await runtime.close();
    await recording.athena.close();
  });

  it('runs a SELECT to SUCCEEDED and records what Athena reports', async () => {
    await start();
    const arn = await runtime.submit('real-ok', { query: 'SELECT 41 + 1 AS answer' });

    expect((await runtime.finished(arn)).status).toBe('SUCCEEDED');
    const record = await runtime.record('real-ok');
    const [id] = recording.startedIds;
    expect(record).toMatchObject({
      status: 'SUCCEEDED',
      athenaQueryExecutionId: id,
      athenaWorkGroup: 'athena-wlm-fast',
      outputLocation: expect.stringMatching(new RegExp(`^s3://.+/${id}\\.csv$`)),
      dataScannedBytes: expect.any(Number),
      totalTimeMs: expect.any(Number),
    });
    const results = await recording.athena.getQueryResults({ QueryExecutionId: id });
    expect(results.ResultSet?.Rows?.map((r) => r.Data?.map((d) => d.VarCharValue))).toEqual([
      ['answer'],
      ['42'],
    ]);
    expect(await runtime.holders()).toEqual([]);
  });

  it("fails bad SQL with the engine's reason, once", async () => {
    await start();
    const arn = await runtime.submit('real-bad', { query: 'SELECT FROM WHERE' });

    const execution = await runtime.finished(arn);
    expect(execution.status).toBe('FAILED');
    const record = await runtime.record('real-bad');
    expect(record.status).toBe('FAILED');
    expect(record.reason).toMatch(/^[A-Z_]+: /);
    expect(record.error).toEqual({ code: 'States.TaskFailed', message: record.reason });
    expect(recording.startedIds).toHaveLength(1);
    expect(retries(runtime.parts.sfn.getExecutionHistory(arn).events, RunQueryStates.startQuery)).toBe(0);
  });

  it('defers a query the account quota keeps refusing, and stops a query with its execution', async () => {
    await start({ activeQueryQuota: 1, latency: { queueMs: 60_000, planningMs: 0 } });
    const holding = await runtime.submit('real-holding');
    await until('the first query to start', () => recording.startedIds.length === 1);
    const refused = await runtime.submit('real-refused');

    expect((await runtime.finished(refused)).status).toBe('SUCCEEDED');
    expect((await runtime.record('real-refused')).status).toBe('DEFERRED');
    const deferred = runtime.parts.queues[LOCAL_QUEUES.deferred].receive(10).map((m) => JSON.parse(m.body));
    expect(deferred).toEqual([{ queryId: 'real-refused', className: 'fast', workgroup: 'fast', attempt: 2 }]);
    expect(runtime.parts.metrics.total('ThrottlingErrorCount', 5)).toBe(
      TEST_CONFIG.throttleRetry.maxAttempts + 1,
    );

    await runtime.parts.sfn.stopExecution(holding, { error: 'athena-wlm.Cancelled', cause: 'test' });
    expect(runtime.parts.sfn.describeExecution(holding).status).toBe('ABORTED');
    const { QueryExecution } = await recording.athena.getQueryExecution({
      QueryExecutionId: recording.startedIds[0],
    });
    expect(QueryExecution.Status?.State).toBe('CANCELLED');
    expect(recording.athena.activeQueryCount()).toBe(0);
  });

  it('after a crash, runs the execution again without a second Athena query', async () => {
    const config = parseConfig({ ...DEFAULT_CONFIG, throttleRetry: TEST_CONFIG.throttleRetry });
    await start({ latency: { queueMs: 400, planningMs: 0 } }, config);
    const arn = await runtime.submit('real-crash', { query: 'SELECT 7 AS seven' });
    await until('the query to start', () => recording.startedIds.length === 1);
    const [id] = recording.startedIds;

    const previous = recording;
    await runtime.restart({
      close: () => previous.athena.close(),
      open: async () => {
        recording = new RecordingAthena(
          await LocalAthena.open(
            athenaOptions(runtime.dir, config, { latency: { queueMs: 400, planningMs: 0 } }),
          ),
        );
        return recording;
      },
    });

    expect((await runtime.finished(arn)).status).toBe('SUCCEEDED');
    expect(recording.startedIds).toEqual([id]);
    expect(await runtime.record('real-crash')).toMatchObject({
      status: 'SUCCEEDED',
      athenaQueryExecutionId: id,
    });
    const results = await recording.athena.getQueryResults({ QueryExecutionId: id });
    expect(results.ResultSet?.Rows?.[1].Data?.[0].VarCharValue).toBe('7');
  });
});
