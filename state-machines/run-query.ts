import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ThrottleRetryConfig, WlmConfig } from '../contracts/config';

/** The one state-machine file, used by the CDK stack and the local runtime alike. */
export const RUN_QUERY_ASL_PATH = join(__dirname, 'run-query.asl.json');

/** `${Placeholder}` tokens in the file; CDK fills them with definitionSubstitutions, the local runtime with its names. */
export const RUN_QUERY_PLACEHOLDERS = ['LedgerTableName', 'WakeQueueUrl', 'DeferredQueueUrl'] as const;
export type RunQuerySubstitutions = Record<(typeof RUN_QUERY_PLACEHOLDERS)[number], string>;

/** State names other code relies on (metric filters, the console, local handlers, tests). */
export const RunQueryStates = {
  enterLine: 'EnterLine',
  markRunning: 'MarkRunning',
  startQuery: 'StartQuery',
  releaseSlot: 'ReleaseSlot',
  sendToDeferredQueue: 'SendToDeferredQueue',
  recordSucceeded: 'RecordSucceeded',
  recordFailed: 'RecordFailed',
  recordCancelled: 'RecordCancelled',
  recordDeferred: 'RecordDeferred',
  rateLimited: 'RateLimited',
} as const;

/**
 * The Athena error StartQuery retries with backoff, then defers: the account's quota
 * (TooManyRequestsException). API-rate throttling has no error of its own: Step Functions reports it as
 * Athena.AmazonAthenaException, like every error Athena's API does not model, and it is told apart by
 * its cause (`Error Code: ThrottlingException`) and deferred without in-place retries.
 */
export const THROTTLING_ERRORS = ['Athena.TooManyRequestsException'] as const;

type Json = Record<string, unknown>;

/** What the config sets in the definition. */
export interface RunQueryTuning {
  readonly throttleRetry: ThrottleRetryConfig;
  /**
   * Longest a class's query may wait for a slot and then run, in minutes: the execution's own timeout
   * adds a margin to it (the wait ends at EnterLine's timeout, the run at the reconciler's time limit).
   */
  readonly longestTimeoutMinutes: number;
}

/** Margin of the execution timeout over the longest class limit, which the slot reconciler enforces first. */
export const EXECUTION_TIMEOUT_MARGIN_SECONDS = 600;

/**
 * Reads the ASL file and applies the config: the throttling retry of `StartQuery` (interval, backoff,
 * delay cap, attempts) and the execution timeout, leaving the `${Placeholder}` tokens in place.
 */
export function runQueryDefinition(tuning?: RunQueryTuning): string {
  const definition = JSON.parse(readFileSync(RUN_QUERY_ASL_PATH, 'utf8')) as Json;
  if (tuning) {
    const retry = tuning.throttleRetry;
    definition.TimeoutSeconds = tuning.longestTimeoutMinutes * 60 + EXECUTION_TIMEOUT_MARGIN_SECONDS;
    const states = definition.States as Record<string, Json>;
    const retriers = states[RunQueryStates.startQuery].Retry as Json[];
    const throttle = retriers.find((r) => (r.ErrorEquals as string[]).includes(THROTTLING_ERRORS[0]));
    if (!throttle) throw new Error(`${RunQueryStates.startQuery} has no retrier for ${THROTTLING_ERRORS[0]}`);
    Object.assign(throttle, {
      IntervalSeconds: retry.intervalSeconds,
      BackoffRate: retry.backoffRate,
      MaxDelaySeconds: retry.maxDelaySeconds,
      MaxAttempts: retry.maxAttempts,
    });
  }
  return JSON.stringify(definition, null, 2);
}

/** Replaces every `${Placeholder}` (for the local runtime; CDK passes definitionSubstitutions instead). */
export function substitutePlaceholders(definition: string, values: RunQuerySubstitutions): string {
  return definition.replace(/\$\{(\w+)\}/g, (token, name: string) => {
    const value = (values as Record<string, string>)[name];
    if (value === undefined) throw new Error(`No substitution for ${token} in run-query.asl.json`);
    return value;
  });
}

/** The tuning a config implies. */
export function runQueryTuning(config: WlmConfig): RunQueryTuning {
  return {
    throttleRetry: config.throttleRetry,
    longestTimeoutMinutes: Math.max(
      ...Object.values(config.classes).map((c) => c.maxQueueWaitMinutes + c.timeoutMinutes),
    ),
  };
}
