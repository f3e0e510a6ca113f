export { ExecutionStoppedError, StepFunctionsError, UnsupportedTaskResourceError } from './errors';
export {
  type ExecutionDescription,
  type ExecutionListItem,
  type ExecutionRestartedEvent,
  executionArnOf,
  executionControlOf,
  executionStarterOf,
  type HistoryEvent,
  LocalStepFunctions,
  type LocalStepFunctionsProps,
} from './local-step-functions';
export {
  type EventLog,
  type ExecutionOutcome,
  type ExecutionToRun,
  type RetryIntervalOverrides,
  RUN_QUERY_STATE_MACHINE_ARN,
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
