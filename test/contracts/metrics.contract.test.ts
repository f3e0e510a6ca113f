import { Metrics as PowertoolsClient } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../../contracts/metrics';
import { PowertoolsMetrics } from '../../functions/adapters/aws/powertools-metrics';
import type { Metrics } from '../../functions/core/ports';
import { LocalMetrics } from '../../local/store/local-metrics';
import { manualClock, tempDatabase } from '../local/store/temp-db';
import { RecordingMetrics } from '../support/in-memory';

/**
 * The Metrics port's contract, run against each implementation: CloudWatch Embedded Metric Format
 * through Powertools (read back from the EMF documents it prints), the local runtime's per-minute
 * SQLite aggregates, and the core tests' recording double. Each reads back the sum of a metric's values
 * under exactly one set of dimensions.
 */

type Dimensions = Readonly<Record<string, string>>;

interface Subject {
  readonly metrics: Metrics;
  /** The sum of the metric's values recorded with exactly these dimensions. */
  readonly sum: (name: string, dimensions?: Dimensions) => number;
  readonly close: () => void;
}

function powertools(): Subject {
  const saved = { dev: process.env.POWERTOOLS_DEV, disabled: process.env.POWERTOOLS_METRICS_DISABLED };
  // Dev mode prints EMF with the global console, which the test reads; metrics must be on.
  process.env.POWERTOOLS_DEV = 'true';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const lines: Record<string, unknown>[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((line: string) => {
    lines.push(JSON.parse(line));
  });
  const metrics = new PowertoolsMetrics(
    new PowertoolsClient({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE }),
  );
  const sum = (name: string, dimensions: Dimensions = {}) => {
    metrics.flush();
    let total = 0;
    for (const line of lines) {
      const emf = line as { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } } & Record<
        string,
        unknown
      >;
      const names = emf._aws.CloudWatchMetrics[0].Dimensions[0].filter((d) => d !== 'service');
      const same =
        names.length === Object.keys(dimensions).length && names.every((d) => line[d] === dimensions[d]);
      const value = line[name];
      if (!same || value === undefined) continue;
      total += (Array.isArray(value) ? value : [value]).reduce((a: number, b) => a + Number(b), 0);
    }
    return total;
  };
  return {
    metrics,
    sum,
    close: () => {
      spy.mockRestore();
      for (const [key, value] of [
        ['POWERTOOLS_DEV', saved.dev],
        ['POWERTOOLS_METRICS_DISABLED', saved.disabled],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    },
  };
}

function local(): Subject {
  const database = tempDatabase();
  const metrics = new LocalMetrics(database.db, { clock: manualClock() });
  return {
    metrics,
    sum: (name, dimensions = {}) => metrics.total(name, 1, { dimensions }),
    close: () => database.close(),
  };
}

function recording(): Subject {
  const metrics = new RecordingMetrics();
  const sameDimensions = (a: Dimensions | undefined, b: Dimensions) =>
    JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b).sort());
  return {
    metrics,
    sum: (name, dimensions = {}) =>
      metrics.counts
        .filter((c) => c.name === name && sameDimensions(c.dimensions, dimensions))
        .reduce((total, c) => total + c.value, 0),
    close: () => {},
  };
}

describe.each([
  ['Powertools (CloudWatch EMF)', powertools],
  ['the local per-minute metrics', local],
  ['the recording double', recording],
])('Metrics contract: %s', (_name, make) => {
  let subject: Subject;
  beforeEach(() => {
    subject = make();
  });
  afterEach(() => subject.close());

  it('counts one when no value is given, and adds the values given', () => {
    subject.metrics.count('StartQueryCount');
    subject.metrics.count('StartQueryCount', 2);
    expect(subject.sum('StartQueryCount')).toBe(3);
  });

  it('keeps each set of dimensions apart, and apart from the metric without dimensions', () => {
    subject.metrics.count('QueryAdmittedCount', 1, { className: 'fast' });
    subject.metrics.count('QueryAdmittedCount', 4, { className: 'long' });
    subject.metrics.count('QueryAdmittedCount', 1, { className: 'fast' });
    subject.metrics.count('QueryAdmittedCount', 10);
    expect(subject.sum('QueryAdmittedCount', { className: 'fast' })).toBe(2);
    expect(subject.sum('QueryAdmittedCount', { className: 'long' })).toBe(4);
    expect(subject.sum('QueryAdmittedCount')).toBe(10);
  });

  it('records queue waits in milliseconds', () => {
    subject.metrics.milliseconds('QueueWaitTime', 1500, { className: 'fast' });
    subject.metrics.milliseconds('QueueWaitTime', 500, { className: 'fast' });
    expect(subject.sum('QueueWaitTime', { className: 'fast' })).toBe(2000);
  });
});
