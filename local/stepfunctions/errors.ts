/** Step Functions API errors this stand-in raises; `name` is the AWS error code. */
export type StepFunctionsErrorName =
  | 'ExecutionAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'InvalidName'
  | 'InvalidExecutionInput'
  | 'InvalidArn';

/** An error of the Step Functions API, named as the AWS SDK names it (`error.name`). */
export class StepFunctionsError extends Error {
  constructor(name: StepFunctionsErrorName, message: string) {
    super(message);
    this.name = name;
  }
}

/** A Task state of the definition has a Resource that no local handler serves. */
export class UnsupportedTaskResourceError extends Error {
  constructor(
    readonly stateName: string,
    readonly resource: string,
    supported: readonly string[],
  ) {
    super(
      `Task state '${stateName}' uses resource '${resource}', which the local Step Functions runtime cannot run ` +
        `(it serves ${supported.join(', ')}). Add a handler for it in local/stepfunctions/task-handlers.ts.`,
    );
    this.name = 'UnsupportedTaskResourceError';
  }
}

/**
 * Thrown by a task handler of an execution that was stopped (StopExecution, execution timeout, shutdown):
 * neither retried nor caught, so the interpreter leaves the state machine at once.
 */
export class ExecutionStoppedError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;

  constructor() {
    super('The execution was stopped');
    this.name = 'States.Runtime';
  }
}
