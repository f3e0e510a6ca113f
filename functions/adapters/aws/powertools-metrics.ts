import { MetricUnit, Metrics as PowertoolsMetricsClient } from '@aws-lambda-powertools/metrics';
import { ENV } from '../../../contracts/env';
import {
  type GaugeName,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
  type MetricName,
  type QUEUE_WAIT_TIME,
} from '../../../contracts/metrics';
import type { Metrics } from '../../core/ports';

type Dimensions = Readonly<Record<string, string>>;
type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** A Powertools Metrics instance with athena-wlm's namespace (a stage's own, from the stack) and service. */
export function powertoolsMetrics(): PowertoolsMetricsClient {
  return new PowertoolsMetricsClient({
    namespace: process.env[ENV.metricsNamespace] || METRICS_NAMESPACE,
    serviceName: METRICS_SERVICE,
  });
}

/**
 * The core's Metrics port as CloudWatch Embedded Metric Format lines in the function's log (no
 * PutMetricData call per query). A metric with dimensions goes out at once as its own EMF line
 * (`singleMetric`), so dimensions never leak between metrics; others are stored until `flush`.
 */
export class PowertoolsMetrics implements Metrics {
  constructor(private readonly metrics: PowertoolsMetricsClient = powertoolsMetrics()) {}

  count(name: MetricName, value = 1, dimensions?: Dimensions): void {
    this.add(name, MetricUnit.Count, value, dimensions);
  }

  milliseconds(name: typeof QUEUE_WAIT_TIME, value: number, dimensions?: Dimensions): void {
    this.add(name, MetricUnit.Milliseconds, value, dimensions);
  }

  /** A level (slots in use, active queries) rather than an event count. */
  gauge(name: GaugeName, value: number, dimensions?: Dimensions): void {
    this.add(name, MetricUnit.Count, value, dimensions);
  }

  /** Writes the stored metrics; call once at the end of each invocation. */
  flush(): void {
    if (this.metrics.hasStoredMetrics()) this.metrics.publishStoredMetrics();
  }

  private add(name: string, unit: Unit, value: number, dimensions?: Dimensions): void {
    if (dimensions && Object.keys(dimensions).length > 0) {
      const single = this.metrics.singleMetric();
      for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
      single.addMetric(name, unit, value);
      return;
    }
    this.metrics.addMetric(name, unit, value);
  }
}
