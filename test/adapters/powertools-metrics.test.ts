import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../../contracts/metrics';
import { PowertoolsMetrics } from '../../functions/adapters/aws/powertools-metrics';

/** EMF documents the metrics instance printed. */
function capture(): { lines: Record<string, unknown>[]; restore: () => void } {
  const lines: Record<string, unknown>[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((line: string) => {
    lines.push(JSON.parse(line));
  });
  return { lines, restore: () => spy.mockRestore() };
}

describe('PowertoolsMetrics', () => {
  const previous = { dev: process.env.POWERTOOLS_DEV, disabled: process.env.POWERTOOLS_METRICS_DISABLED };
  beforeAll(() => {
    // Dev mode prints EMF with the global console, which the test can capture; it also disables
    // metrics unless POWERTOOLS_METRICS_DISABLED says otherwise.
    process.env.POWERTOOLS_DEV = 'true';
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  });
  afterAll(() => {
    for (const [key, value] of [
      ['POWERTOOLS_DEV', previous.dev],
      ['POWERTOOLS_METRICS_DISABLED', previous.disabled],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('writes a metric with dimensions at once as its own EMF document in the AthenaWLM namespace', () => {
    // Prepare
    const out = capture();
    const metrics = new PowertoolsMetrics(
      new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE }),
    );
    // Act
    metrics.count('QueryAdmittedCount', 1, { className: 'exploratory' });
    out.restore();
    // Assess
    expect(out.lines).toHaveLength(1);
    const emf = out.lines[0] as {
      _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
    };
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('AthenaWLM');
    expect(emf._aws.CloudWatchMetrics[0].Dimensions[0]).toEqual(
      expect.arrayContaining(['service', 'className']),
    );
    expect(out.lines[0]).toMatchObject({
      QueryAdmittedCount: 1,
      className: 'exploratory',
      service: 'athena-wlm',
    });
  });

  it('stores metrics without dimensions until flush, and keeps dimensions from leaking between metrics', () => {
    // Prepare
    const out = capture();
    const metrics = new PowertoolsMetrics(
      new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE }),
    );
    // Act
    metrics.count('RestartQueryCount', 1, { className: 'fast' });
    metrics.count('QueryParkedCount');
    metrics.milliseconds('QueueWaitTime', 1500);
    const beforeFlush = out.lines.length;
    metrics.flush();
    out.restore();
    // Assess
    expect(beforeFlush).toBe(1);
    expect(out.lines).toHaveLength(2);
    expect(out.lines[1]).toMatchObject({ QueryParkedCount: 1, QueueWaitTime: 1500 });
    expect(out.lines[1]).not.toHaveProperty('workgroup');
  });
});
