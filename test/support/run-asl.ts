import { StateMachine } from 'aws-local-stepfunctions';
import { timeoutPathInParameters } from '../../local/stepfunctions/run-query-runner';
import {
  type RUN_QUERY_PLACEHOLDERS,
  runQueryDefinition,
  substitutePlaceholders,
} from '../../state-machines/run-query';

export type TaskHandler = (input: Record<string, unknown>) => Promise<unknown> | unknown;

export const TEST_SUBSTITUTIONS = {
  LedgerTableName: 'ledger',
  WakeQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/athena-wlm-dispatch-wake.fifo',
  DeferredQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/queries-deferred',
} satisfies Record<(typeof RUN_QUERY_PLACEHOLDERS)[number], string>;

/** The Task states of the real run-query file. */
export function taskStateNames(definition = JSON.parse(runQueryDefinition())): string[] {
  return Object.entries(definition.States as Record<string, { Type: string }>)
    .filter(([, state]) => state.Type === 'Task')
    .map(([name]) => name);
}

let built: { machine: StateMachine; tasks: string[] } | undefined;

/** The substituted definition as aws-local-stepfunctions reads it, validated once (about 250 ms). */
function testMachine(): { machine: StateMachine; tasks: string[] } {
  if (built) return built;
  const definition = JSON.parse(substitutePlaceholders(runQueryDefinition(), TEST_SUBSTITUTIONS));
  for (const state of Object.values(definition.States as Record<string, Record<string, unknown>>)) {
    if (typeof state.TimeoutSecondsPath === 'string') {
      state.TimeoutSecondsPath = timeoutPathInParameters(state.TimeoutSecondsPath, state.Parameters);
    }
  }
  built = { machine: new StateMachine(definition), tasks: taskStateNames(definition) };
  return built;
}

/** The task token `$$.Task.Token` gives the n-th Task that reads it in an execution named `name`. */
export const taskTokenOf = (name: string, n = 1) => `${name}#token-${n}`;

/**
 * Runs the real run-query.asl.json in aws-local-stepfunctions with a handler per Task state and no
 * retry pauses. What aws-local-stepfunctions leaves out or reads differently is filled in as the local
 * runtime does: `$$.State.EnteredTime` reads the clock, `$$.Task.Token` issues a token per read
 * (`taskTokenOf`), and a TimeoutSecondsPath is read from the Task's Parameters (`timeoutPathInParameters`),
 * since Step Functions reads it from the state input and aws-local-stepfunctions from the Parameters.
 */
export async function runRunQuery(
  input: unknown,
  handlers: Record<string, TaskHandler>,
  options: { name?: string } = {},
) {
  const { machine, tasks } = testMachine();
  const name = options.name ?? 'q1';
  let tokens = 0;
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      retryIntervalOverrides: Object.fromEntries(tasks.map((t) => [t, 0])),
    },
    context: {
      Execution: { Id: executionArnOf(name), Name: name },
      State: {
        get EnteredTime() {
          return new Date().toISOString();
        },
      },
      Task: {
        get Token() {
          tokens++;
          return taskTokenOf(name, tokens);
        },
      },
    },
  });
  const events: { type: string; state?: { name: string } }[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) events.push(event);
  })();
  try {
    const output = await execution.result;
    await collecting;
    return { status: 'SUCCEEDED' as const, output: output as Record<string, unknown>, events };
  } catch (error) {
    await collecting;
    // aws-local-stepfunctions wraps the failure in an ExecutionError; its cause is the Fail state's error.
    const failure = ((error as Error).cause ?? error) as Error;
    return { status: 'FAILED' as const, error: failure.name, cause: failure.message, events };
  }
}

/** The ARN `$$.Execution.Id` gives an execution named `name`. */
export const executionArnOf = (name: string) =>
  `arn:aws:states:us-east-1:123456789012:execution:run-query:${name}`;

/** An error the way a Step Functions service integration raises it. */
export function taskError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}
