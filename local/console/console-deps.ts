import { slotsOf, type WlmConfig } from '../../contracts/config';
import { runQueryTuning } from '../../state-machines/run-query';
import type { ConsoleDeps, ConsoleExecution, ConsoleMetricPoint } from './console-routes';
import type { ConsoleHistoryEvent } from './execution-path';

/** The parts of the local runtime the console reads, by shape (LocalStepFunctions, LocalMetrics, LocalAthena). */
export interface ConsoleSources {
  readonly stepFunctions: {
    listExecutions(params: { readonly maxResults?: number }): {
      readonly executions: readonly { readonly executionArn: string }[];
    };
    describeExecution(executionArn: string): ConsoleExecution;
    getExecutionHistory(executionArn: string): { readonly events: readonly ConsoleHistoryEvent[] };
  };
  readonly metrics: { series(name: string, sinceMinutes: number): readonly ConsoleMetricPoint[] };
  readonly athena: { activeQueryCount(): number };
  readonly config: WlmConfig;
  /** The quota the local Athena enforces. @default the config's quota.activeDmlQueries, when it is a number */
  readonly quota?: number;
  readonly clock?: () => Date;
}

/**
 * The console's dependencies from the local runtime's parts. Listed executions are described one by
 * one (a SQLite read each) because the list lacks the input that names the class and attempt.
 */
export function consoleDepsOf(sources: ConsoleSources): ConsoleDeps {
  const { stepFunctions, metrics, athena, config } = sources;
  const quota =
    sources.quota ??
    (typeof config.quota.activeDmlQueries === 'number' ? config.quota.activeDmlQueries : undefined);
  return {
    listExecutions: (limit) =>
      stepFunctions
        .listExecutions({ maxResults: limit })
        .executions.map((e) => stepFunctions.describeExecution(e.executionArn)),
    describeExecution: (executionArn) => stepFunctions.describeExecution(executionArn),
    executionHistory: (executionArn) => stepFunctions.getExecutionHistory(executionArn).events,
    metricSeries: (name, minutes) => metrics.series(name, minutes),
    accountQuota: () => ({
      activeQueries: athena.activeQueryCount(),
      ...(quota !== undefined ? { quota } : {}),
      headroom: quota !== undefined ? slotsOf(config.quota.headroom, quota) : 0,
    }),
    stateMachineTuning: runQueryTuning(config),
    ...(sources.clock ? { clock: sources.clock } : {}),
  };
}
