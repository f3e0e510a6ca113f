import { StateMachine } from 'aws-local-stepfunctions';
import {
  type RUN_QUERY_PLACEHOLDERS,
  runQueryDefinition,
  substitutePlaceholders,
} from '../../state-machines/run-query';

export type TaskHandler = (input: Record<string, unknown>) => Promise<unknown> | unknown;

export const TEST_SUBSTITUTIONS = {
  LedgerTableName: 'ledger',
  SlotsTableName: 'slots',
  DeferredQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/queries-deferred',
} satisfies Record<(typeof RUN_QUERY_PLACEHOLDERS)[number], string>;

/** The Task states of the real run-query file. */
export function taskStateNames(definition = JSON.parse(runQueryDefinition())): string[] {
  return Object.entries(definition.States as Record<string, { Type: string }>)
    .filter(([, state]) => state.Type === 'Task')
    .map(([name]) => name);
}

/**
 * Runs the real run-query.asl.json in aws-local-stepfunctions with a handler per Task state and no
 * retry pauses. `$$.State.EnteredTime`, which aws-local-stepfunctions leaves out, reads the clock.
 */
export async function runRunQuery(
  input: unknown,
  handlers: Record<string, TaskHandler>,
  options: { name?: string } = {},
) {
  const definition = JSON.parse(substitutePlaceholders(runQueryDefinition(), TEST_SUBSTITUTIONS));
  const machine = new StateMachine(definition);
  const tasks = taskStateNames(definition);
  const name = options.name ?? 'q1';
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      retryIntervalOverrides: Object.fromEntries(tasks.map((t) => [t, 0])),
    },
    context: {
      Execution: { Id: `arn:aws:states:us-east-1:123456789012:execution:run-query:${name}`, Name: name },
      State: {
        get EnteredTime() {
          return new Date().toISOString();
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

/** An error the way a Step Functions service integration raises it. */
export function taskError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}
