/**
 * The metrics namespace as construct-tree context, and the CloudWatch Logs filter patterns that derive
 * the reference sample's seed metrics from the run-query state machine's log.
 */

import type { IConstruct } from 'constructs';
import { METRICS_NAMESPACE } from '../contracts/metrics';

/** Construct-tree context key under which a workload manager keeps its metrics namespace. */
const NAMESPACE_CONTEXT = 'athena-wlm:metricsNamespace';

/** Sets the namespace for every construct below `scope` (call before adding children). */
export function setMetricsNamespace(scope: IConstruct, namespace: string): void {
  scope.node.setContext(NAMESPACE_CONTEXT, namespace);
}

/** The metrics namespace of the workload manager `scope` belongs to. */
export function metricsNamespaceOf(scope: IConstruct): string {
  return (scope.node.tryGetContext(NAMESPACE_CONTEXT) as string | undefined) ?? METRICS_NAMESPACE;
}

/**
 * `TaskSubmitted` is the history event Step Functions writes once the `.sync` integration's
 * StartQueryExecution call has returned a QueryExecutionId: the run really started. Retried submits that
 * Athena refused never produce it, so this counts runs, not attempts.
 */
export const START_QUERY_COUNT_PATTERN =
  '{ ($.type = "TaskSubmitted") && ($.details.resourceType = "athena") && ($.details.resource = "startQueryExecution.sync") }';

/**
 * A refused submit of a `.sync` task is logged as `TaskSubmitFailed` (request/response tasks log
 * `TaskFailed`); both carry `details.error`. Only the quota error counts, not every failure.
 */
export const THROTTLING_ERROR_COUNT_PATTERN =
  '{ ($.type = "TaskSubmitFailed" || $.type = "TaskFailed") && ($.details.resourceType = "athena") && ($.details.error = "Athena.TooManyRequestsException") }';
