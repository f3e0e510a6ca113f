import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ApiClient } from '../../cli/api-client';
import { cloudWatchMetrics, consoleMetrics } from '../../cli/seed-metrics-readers';
import { REFERENCE_QUERY, runSmoke, type SeedMetricsReader } from '../../cli/smoke';
import { SMALL_SAMPLE, startTestRuntime, type TestRuntime } from '../local/e2e/support';

const ROOT = join(__dirname, '..', '..');

/** What the smoke check prints, kept. */
function printout() {
  let text = '';
  return { stream: { write: (s: string) => (text += s) }, text: () => text };
}

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime({ sampleData: SMALL_SAMPLE });
}, 60_000);
afterAll(() => t?.close());

describe('npm run smoke, against the local runtime', () => {
  it('submits the reference query, follows it to SUCCEEDED, reads its rows and sees StartQueryCount move', async () => {
    const out = printout();

    const result = await runSmoke(new ApiClient({ baseUrl: t.url }), consoleMetrics(t.url), out.stream, {
      pollMs: 100,
      metricsTimeoutMs: 10_000,
    });

    expect(result).toMatchObject({ passed: true });
    const text = out.text();
    for (const n of [1, 2, 3, 4, 5]) expect(text).toContain(`[${n}/5]`);
    expect(text).toContain(`submitting to ${t.runtime.config.defaultClass}`);
    expect(text).toContain('SUCCEEDED');
    expect(text).toMatch(/columns count, request_verb, client_ip; first page has \d+ row/);
    expect(text).toMatch(/StartQueryCount [1-9]/);
    expect(text).toContain('PASSED');
    const record = await t.runtime.ledger.get(result.queryId);
    expect(record).toMatchObject({ status: 'SUCCEEDED', query: REFERENCE_QUERY });
  });

  it('runs as `npm run smoke -- --endpoint URL` and exits 0, or 1 with the reason when the query fails', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(
          'npm',
          ['run', '--silent', 'smoke', '--', ...args],
          { cwd: ROOT, timeout: 120_000 },
          (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
        );
      });

    const passed = await run(['--endpoint', t.url, '--class', 'fast']);
    expect(passed.stdout).toContain('submitting to fast');
    expect(passed.stdout).toContain('PASSED');
    expect(passed.code).toBe(0);

    const failed = await run(['--endpoint', t.url, '--sql', 'SELECT no_such_column FROM alb_logs']);
    expect(failed.stdout).toMatch(/FAILED: the query ended FAILED: .*no_such_column/);
    expect(failed.code).toBe(1);
  }, 240_000);

  it('fails when StartQueryCount never counts the run', async () => {
    const stuck: SeedMetricsReader = { source: 'a counter that never moves', sumSince: async () => 0 };
    const out = printout();

    const result = await runSmoke(new ApiClient({ baseUrl: t.url }), stuck, out.stream, {
      query: 'SELECT 1 AS one',
      pollMs: 10,
      metricsTimeoutMs: 50,
    });

    expect(result.passed).toBe(false);
    expect(result.failure).toContain('StartQueryCount did not count the run');
  });
});

describe('seed metrics in CloudWatch', () => {
  const cloudWatch = mockClient(CloudWatchClient);
  beforeEach(() => cloudWatch.reset());

  it("sums a SEARCH over the stage's namespace from the minute of the submission", async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'm', Values: [1, 2] }] });
    const since = new Date('2026-01-01T12:03:42Z');

    const sum = await cloudWatchMetrics('AthenaWLM/dev', new CloudWatchClient({})).sumSince(
      'StartQueryCount',
      since,
    );

    expect(sum).toBe(3);
    expect(cloudWatch).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: new Date('2026-01-01T12:03:00Z'),
      MetricDataQueries: [
        {
          Id: 'm',
          Expression: `SUM(SEARCH('Namespace="AthenaWLM/dev" MetricName="StartQueryCount"', 'Sum', 60))`,
        },
      ],
    });
  });
});
