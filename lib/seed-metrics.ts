/**
 * Metric names, namespace and dimensions the stack and the handlers share, and the CloudWatch Logs filter
 * patterns that derive the reference sample's seed metrics from the run-query state machine's log.
 */

import type { IConstruct } from 'constructs';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../functions/adapters/aws/powertools-metrics';

/** Namespace of every metric athena-wlm emits itself (metric filters and the handlers' EMF metrics). */
export const WLM_METRIC_NAMESPACE = METRICS_NAMESPACE;

/** Construct-tree context key under which a workload manager keeps its metrics namespace. */
const NAMESPACE_CONTEXT = 'athena-wlm:metricsNamespace';

/** A stage's metrics go to their own namespace (`AthenaWLM/dev`), so stages in one account never mix. */
export function metricsNamespaceFor(stage: string | undefined): string {
  return stage ? `${WLM_METRIC_NAMESPACE}/${stage}` : WLM_METRIC_NAMESPACE;
}

/** Sets the namespace for every construct below `scope` (call before adding children). */
export function setMetricsNamespace(scope: IConstruct, namespace: string): void {
  scope.node.setContext(NAMESPACE_CONTEXT, namespace);
}

/** The metrics namespace of the workload manager `scope` belongs to. */
export function metricsNamespaceOf(scope: IConstruct): string {
  return (scope.node.tryGetContext(NAMESPACE_CONTEXT) as string | undefined) ?? WLM_METRIC_NAMESPACE;
}

/** Powertools adds this `service` dimension to every metric the handlers emit. */
export const SERVICE_DIMENSION = { service: METRICS_SERVICE } as const;

/** Dimension that names the workload class on per-class metrics (the handlers emit it). */
export const WORKGROUP_DIMENSION = 'workgroup';

/** The reference sample's metrics: names kept, meanings made to match them. */
export const SeedMetrics = {
  /** Athena runs actually started (a StartQueryExecution call that Athena accepted). */
  startQueryCount: 'StartQueryCount',
  /** TooManyRequestsException responses from Athena (over the account's concurrent-query quota). */
  throttlingErrorCount: 'ThrottlingErrorCount',
  /** Deferred queries moved back to the main queue (emitted by the redrive function, per class). */
  restartQueryCount: 'RestartQueryCount',
} as const;

/** Per-class metrics the starter, redrive and reconciler emit (dimension {@link WORKGROUP_DIMENSION}). */
export const ClassMetrics = {
  slotsInUse: 'SlotsInUse',
  queueWaitTime: 'QueueWaitTime',
} as const;

/**
 * `TaskSubmitted` is the history event Step Functions writes once the `.sync` integration's
 * StartQueryExecution call has returned a QueryExecutionId: the run really started. Retried submits that
 * Athena refused never produce it, so this counts runs, not attempts (the reference sample counted attempts).
 */
export const START_QUERY_COUNT_PATTERN =
  '{ ($.type = "TaskSubmitted") && ($.details.resourceType = "athena") && ($.details.resource = "startQueryExecution.sync") }';

/**
 * A refused submit of a `.sync` task is logged as `TaskSubmitFailed` (request/response tasks log
 * `TaskFailed`); both carry `details.error`. Only the quota error counts, not every failure (the reference
 * sample counted every error as throttling).
 */
export const THROTTLING_ERROR_COUNT_PATTERN =
  '{ ($.type = "TaskSubmitFailed" || $.type = "TaskFailed") && ($.details.resourceType = "athena") && ($.details.error = "Athena.TooManyRequestsException") }';
