/** CloudWatch namespace of every metric athena-wlm emits itself (metric filters and the handlers' EMF). */
export const METRICS_NAMESPACE = 'AthenaWLM';

/** Powertools' `service` dimension on every metric the handlers emit, and the loggers' service name. */
export const METRICS_SERVICE = 'athena-wlm';

/** A stage's metrics go to their own namespace (`AthenaWLM/dev`), so stages in one account never mix. */
export function metricsNamespaceFor(stage: string | undefined): string {
  return stage ? `${METRICS_NAMESPACE}/${stage}` : METRICS_NAMESPACE;
}

/** Dimension that names the workload class on per-class metrics. */
export const CLASS_DIMENSION = 'className';

/** The dimensions of a per-class metric. */
export function classDimension(className: string): Readonly<Record<string, string>> {
  return { [CLASS_DIMENSION]: className };
}

/** The reference sample's metrics: names kept, meanings made to match them. */
export const SeedMetrics = {
  /** Athena runs actually started (a StartQueryExecution call that Athena accepted). */
  startQueryCount: 'StartQueryCount',
  /** TooManyRequestsException responses from Athena (over the account's concurrent-query quota). */
  throttlingErrorCount: 'ThrottlingErrorCount',
  /** Deferred queries moved back to the main queue (emitted by the redrive function, per class). */
  restartQueryCount: 'RestartQueryCount',
} as const;

/** Events the core counts (dimension {@link CLASS_DIMENSION} where the event has a class). */
export const EventMetrics = {
  ...SeedMetrics,
  queryAdmittedCount: 'QueryAdmittedCount',
  preemptedQueryCount: 'PreemptedQueryCount',
  queryParkedCount: 'QueryParkedCount',
  queryFailedCount: 'QueryFailedCount',
  deferredQueryCount: 'DeferredQueryCount',
} as const;

/** Levels the handlers report on each run. */
export const GaugeMetrics = {
  /** Slots held per class (dimension {@link CLASS_DIMENSION}). */
  slotsInUse: 'SlotsInUse',
  /** The account's active DML queries, inside and outside athena-wlm. */
  accountActiveQueries: 'AccountActiveQueries',
  leakedSlotsReleased: 'LeakedSlotsReleased',
} as const;

/** Submission to the start of a run, per class (dimension {@link CLASS_DIMENSION}), in milliseconds. */
export const QUEUE_WAIT_TIME = 'QueueWaitTime';

export type MetricName = (typeof EventMetrics)[keyof typeof EventMetrics];
export type GaugeName = (typeof GaugeMetrics)[keyof typeof GaugeMetrics];
