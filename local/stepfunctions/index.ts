export { ExecutionStoppedError, StepFunctionsError, UnsupportedTaskResourceError } from './errors';
export {
  type ExecutionDescription,
  type ExecutionListItem,
  type ExecutionRestartedEvent,
  type ExecutionStatus,
  executionArnOf,
  executionControlOf,
  executionStarterOf,
  type HistoryEvent,
  LocalStepFunctions,
  type LocalStepFunctionsProps,
} from './local-step-functions';
export {
  type EventLog,
  type ExecutionToRun,
  type RetryIntervalOverrides,
  RUN_QUERY_STATE_MACHINE_ARN,
  type RunOutcome,
  RunQueryRunner,
  type RunQueryRunnerProps,
} from './run-query-runner';
export {
  type AthenaForStepFunctions,
  checkTaskResources,
  RESOURCES,
  SUPPORTED_RESOURCES,
  type TaskServices,
  taskHandlersFor,
  taskStates,
} from './task-handlers';
