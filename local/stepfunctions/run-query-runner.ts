import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  type RunOptions,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { classDimension } from '../../contracts/metrics';
import '../polyfills';
import type { WlmConfig } from '../../contracts/config';
import {
  RunQueryStates,
  type RunQuerySubstitutions,
  runQueryDefinition,
  runQueryTuning,
  substitutePlaceholders,
  THROTTLING_ERRORS,
} from '../../state-machines/run-query';
import { LOCAL_RUN_QUERY_SUBSTITUTIONS } from '../store/local-names';
import { checkTaskResources, type TaskContext, type TaskServices, taskHandlersFor } from './task-handlers';

type Overrides = NonNullable<RunOptions['overrides']>;
export type RetryIntervalOverrides = NonNullable<Overrides['retryIntervalOverrides']>;
/** One event of aws-local-stepfunctions' execution log. */
export type EventLog =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** The account and region of local ARNs. */
export const LOCAL_ARN_PREFIX = 'arn:aws:states:local:000000000000';
export const RUN_QUERY_STATE_MACHINE_NAME = 'run-query';
export const RUN_QUERY_STATE_MACHINE_ARN = `${LOCAL_ARN_PREFIX}:stateMachine:${RUN_QUERY_STATE_MACHINE_NAME}`;
/** The role executions report in `$$.Execution.RoleArn` (nothing checks it locally). */
export const LOCAL_EXECUTION_ROLE_ARN = 'arn:aws:iam::000000000000:role/athena-wlm-local-run-query';

/**
 * Longest Task timeout, in seconds. Step Functions has no Task timeout unless one is set (its default
 * is 99999999 s); aws-local-stepfunctions defaults to 60 s, which would fail every query longer than a
 * minute, so Task states without one get this (setTimeout's limit, about 24 days).
 */
const NO_TASK_TIMEOUT_SECONDS = 2_147_483;

export interface RunQueryRunnerProps {
  /** The validated config: its throttling retry and class time limits tune the definition. */
  readonly config: WlmConfig;
  readonly services: TaskServices;
  /** @default LOCAL_RUN_QUERY_SUBSTITUTIONS (local table names and `local://queries-deferred`) */
  readonly substitutions?: RunQuerySubstitutions;
  /**
   * Pauses before retries, in ms: one number for every retrier of every state, or aws-local-stepfunctions'
   * per-state overrides.
   * @default the real pauses: IntervalSeconds, BackoffRate, MaxDelaySeconds and full jitter, as on AWS
   */
  readonly retryIntervalOverrides?: number | RetryIntervalOverrides;
}

/** An execution to run: its identity and input. */
export interface ExecutionToRun {
  readonly executionArn: string;
  readonly name: string;
  /** The execution input as JSON text. */
  readonly input: string;
  readonly startDate: Date;
}

/** How an execution ended. */
export type ExecutionOutcome =
  | { readonly status: 'SUCCEEDED'; readonly output: string }
  | { readonly status: 'FAILED' | 'TIMED_OUT'; readonly error: string; readonly cause: string }
  | { readonly status: 'ABORTED' };

/** A running execution: its outcome, and a way to stop it. */
export interface RunningExecution {
  /** Settles (never rejects) once the execution ended and its last event was handed to `onEvent`. */
  readonly outcome: Promise<ExecutionOutcome>;
  /**
   * Stops the execution: the interpreter leaves it after the state in progress, task handlers give up,
   * and the Athena query in flight is stopped (as the `.sync` integration does on StopExecution).
   */
  stop(): Promise<void>;
  /**
   * Leaves the execution as a process that dies would: the interpreter and task handlers give up, but
   * the Athena query in flight keeps running (a restart finds it again through its ClientRequestToken).
   */
  abandon(): void;
}

/**
 * Runs `run-query` executions in aws-local-stepfunctions: the definition comes from the one ASL file
 * (through `runQueryDefinition` and `substitutePlaceholders`), every Task state is served by the
 * local handler of its Resource (a Resource without one fails here, at startup), and the context
 * object carries what `$$.Execution`, `$$.StateMachine` and `$$.State` give on AWS.
 */
export class RunQueryRunner {
  readonly definition: StateMachineDefinition;
  private readonly machine: StateMachine;
  private readonly retryIntervalOverrides?: RetryIntervalOverrides;

  constructor(private readonly props: RunQueryRunnerProps) {
    const text = substitutePlaceholders(
      runQueryDefinition(runQueryTuning(props.config)),
      props.substitutions ?? LOCAL_RUN_QUERY_SUBSTITUTIONS,
    );
    this.definition = JSON.parse(text) as StateMachineDefinition;
    checkTaskResources(this.definition);
    for (const state of Object.values(this.definition.States)) {
      if (state.Type !== 'Task') continue;
      if (state.TimeoutSecondsPath !== undefined) {
        state.TimeoutSecondsPath = timeoutPathInParameters(state.TimeoutSecondsPath, state.Parameters);
      } else if (state.TimeoutSeconds === undefined) {
        state.TimeoutSeconds = NO_TASK_TIMEOUT_SECONDS;
      }
    }
    this.machine = machineFor(this.definition);
    const overrides = props.retryIntervalOverrides;
    this.retryIntervalOverrides =
      typeof overrides === 'number'
        ? Object.fromEntries(
            Object.entries(this.definition.States)
              .filter(([, state]) => 'Retry' in state && state.Retry)
              .map(([name]) => [name, overrides]),
          )
        : overrides;
  }

  /** Starts an execution; `onEvent` gets each event of its log, in order, as it happens. */
  start(execution: ExecutionToRun, onEvent: (event: EventLog) => void): RunningExecution {
    const controller = new AbortController();
    const tokens = this.props.services.tokens;
    let currentState: string | undefined;
    const input = JSON.parse(execution.input) as { className?: unknown };
    const context: TaskContext = {
      executionArn: execution.executionArn,
      className: typeof input.className === 'string' ? input.className : undefined,
      signal: controller.signal,
      onTaskStart: (stateName) => {
        currentState = stateName;
      },
    };
    const run = this.machine.run(input as Parameters<StateMachine['run']>[0], {
      overrides: {
        taskResourceLocalHandlers: taskHandlersFor(this.definition, this.props.services, context),
        ...(this.retryIntervalOverrides ? { retryIntervalOverrides: this.retryIntervalOverrides } : {}),
      },
      context: {
        Execution: {
          Id: execution.executionArn,
          Name: execution.name,
          // aws-local-stepfunctions replaces StartTime with the time the run began.
          StartTime: execution.startDate.toISOString(),
          RoleArn: LOCAL_EXECUTION_ROLE_ARN,
        },
        StateMachine: { Id: RUN_QUERY_STATE_MACHINE_ARN, Name: RUN_QUERY_STATE_MACHINE_NAME },
        // aws-local-stepfunctions does not fill $$.State. Parameters are evaluated as a state is entered,
        // so EnteredTime reads the clock. Name follows the event log and Task handlers: exact inside a
        // Task handler, but it can lag one state behind in the Parameters of the state just entered.
        State: {
          get EnteredTime() {
            return new Date().toISOString();
          },
          get Name() {
            return currentState;
          },
        },
        // Read by the Parameters of a .waitForTaskToken Task, just before its handler runs.
        Task: {
          get Token() {
            context.taskToken = tokens.issue(execution.executionArn);
            return context.taskToken;
          },
        },
      },
    });

    const stopAthena = async () => {
      const queryExecutionId = context.athenaQueryExecutionId;
      if (!queryExecutionId) return;
      context.athenaQueryExecutionId = undefined;
      await this.props.services.athena
        .stopQueryExecution({ QueryExecutionId: queryExecutionId })
        .catch(() => undefined);
    };
    const abandon = () => {
      controller.abort();
      run.abort();
    };
    const stop = async () => {
      abandon();
      await stopAthena();
    };

    const pump = (async () => {
      for await (const event of run.eventLogs) {
        if (event.type === 'StateEntered') currentState = event.state.name;
        if (
          event.type === 'StateFailed' &&
          event.state.name === RunQueryStates.startQuery &&
          event.Error === THROTTLING_ERRORS[0]
        ) {
          this.props.services.metrics.count(
            'ThrottlingErrorCount',
            1,
            context.className ? classDimension(context.className) : {},
          );
        }
        onEvent(event);
      }
    })();

    const outcome = (async (): Promise<ExecutionOutcome> => {
      let result: ExecutionOutcome;
      try {
        result = { status: 'SUCCEEDED', output: JSON.stringify(await run.result) };
      } catch (error) {
        result = outcomeOf(error, this.definition.TimeoutSeconds);
        // A timed-out execution stops its work as a stopped one does.
        if (result.status === 'TIMED_OUT') await stop();
      }
      await pump.catch(() => undefined);
      tokens.forget(execution.executionArn);
      return result;
    })();

    return { outcome, stop, abandon };
  }
}

/**
 * Validating a definition (asl-validator) takes about a second, and a StateMachine keeps no state
 * between runs, so one is built per distinct definition and shared.
 */
const machines = new Map<string, StateMachine>();

function machineFor(definition: StateMachineDefinition): StateMachine {
  const key = JSON.stringify(definition);
  let machine = machines.get(key);
  if (!machine) {
    machine = new StateMachine(definition);
    machines.set(key, machine);
  }
  return machine;
}

/**
 * Step Functions reads a Task's TimeoutSecondsPath from the state's input; aws-local-stepfunctions
 * reads it from the Parameters it built. So the path is moved to the Parameters field that carries the
 * same input value (`"x.$": "$.queueWaitSeconds"` at any depth), which a definition that times a Task
 * by its input must have; otherwise the definition cannot run locally and says so at start.
 */
export function timeoutPathInParameters(path: string, parameters: unknown): string {
  const found = (node: unknown, at: string): string | undefined => {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
    for (const [key, value] of Object.entries(node)) {
      if (key.endsWith('.$') && value === path) return `${at}.${key.slice(0, -2)}`;
      const deeper = found(value, `${at}.${key}`);
      if (deeper) return deeper;
    }
    return undefined;
  };
  const moved = found(parameters, '$');
  if (!moved) {
    throw new Error(
      `TimeoutSecondsPath ${path} must also be passed in the Task's Parameters for the local runtime to read it`,
    );
  }
  return moved;
}

function outcomeOf(error: unknown, timeoutSeconds: number | undefined): ExecutionOutcome {
  if (error instanceof ExecutionAbortedError) return { status: 'ABORTED' };
  if (error instanceof ExecutionTimeoutError) {
    return {
      status: 'TIMED_OUT',
      error: 'States.Timeout',
      cause: `The execution ran longer than the state machine's TimeoutSeconds (${timeoutSeconds} s).`,
    };
  }
  if (error instanceof ExecutionError) {
    const failure = error.cause as Error | undefined;
    return {
      status: 'FAILED',
      error: failure?.name ?? 'States.Runtime',
      cause: failure?.message ?? error.message,
    };
  }
  return {
    status: 'FAILED',
    error: 'States.Runtime',
    cause: error instanceof Error ? error.message : String(error),
  };
}
