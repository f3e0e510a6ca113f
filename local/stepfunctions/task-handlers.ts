import { createHash } from 'node:crypto';
import type { QueryExecution, StartQueryExecutionInput } from '@aws-sdk/client-athena';
import type { RunOptions, StateMachineDefinition } from 'aws-local-stepfunctions';
import { classDimension } from '../../contracts/metrics';
import type { Metrics } from '../../functions/core/ports';
import type { LocalDynamoDb, UpdateItemParams } from '../dynamodb/local-dynamodb';
import { queueNameOfUrl } from '../store/local-names';
import type { SqliteQueue } from '../store/sqlite-queue';
import { ExecutionStoppedError, UnsupportedTaskResourceError } from './errors';
import type { LocalTaskTokens } from './local-task-tokens';

type Overrides = NonNullable<RunOptions['overrides']>;
/** Local functions that stand in for Task states, by state name (aws-local-stepfunctions' override). */
export type TaskHandlers = NonNullable<Overrides['taskResourceLocalHandlers']>;
export type TaskHandler = TaskHandlers[string];
type JsonValue = Parameters<TaskHandler>[0];

/**
 * The part of the local Athena the `.sync` integration needs (LocalAthena implements it): start a
 * query, wait for it to end (the signal gives up waiting), stop it.
 */
export interface AthenaForStepFunctions {
  startQueryExecution(input: StartQueryExecutionInput): Promise<{ QueryExecutionId?: string }>;
  /** Resolves, in GetQueryExecution's shape, once the query is SUCCEEDED, FAILED or CANCELLED. */
  waitForQueryExecution(
    queryExecutionId: string,
    signal?: AbortSignal,
  ): Promise<{ QueryExecution: QueryExecution }>;
  stopQueryExecution(input: { QueryExecutionId: string }): Promise<unknown>;
}

/** What the task handlers call. */
export interface TaskServices {
  readonly athena: AthenaForStepFunctions;
  readonly dynamodb: LocalDynamoDb;
  /** Local queues by name; a QueueUrl `local://<name>` names one. */
  readonly queues: Readonly<Record<string, SqliteQueue>>;
  readonly metrics: Metrics;
  /** The task tokens `.waitForTaskToken` Tasks wait on. */
  readonly tokens: LocalTaskTokens;
  /** An error the fault harness injects into a Task state (local/test-faults.ts), by state name. */
  readonly injectedFault?: (state: string) => Error | undefined;
}

/** One execution as its task handlers see it. */
export interface TaskContext {
  readonly executionArn: string;
  /** The workload class (the per-class metrics' dimension). */
  readonly className?: string;
  /** Aborted when the execution is stopped, times out or the runtime shuts down. */
  readonly signal: AbortSignal;
  /** The Athena query this execution runs right now, if any (StopExecution stops it). */
  athenaQueryExecutionId?: string;
  /** The token `$$.Task.Token` last gave this execution (the Task state being entered). */
  taskToken?: string;
  /** Called when a Task handler starts, with its state's name. */
  onTaskStart?(stateName: string): void;
}

type HandlerFactory = (services: TaskServices, context: TaskContext) => TaskHandler;

export const RESOURCES = {
  athenaStartQuerySync: 'arn:aws:states:::athena:startQueryExecution.sync',
  sqsSendMessage: 'arn:aws:states:::sqs:sendMessage',
  sqsSendMessageWaitForTaskToken: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
  dynamoDbUpdateItem: 'arn:aws:states:::dynamodb:updateItem',
} as const;

/** An error named as the Step Functions integration names it; its message becomes the Cause. */
function taskError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/** JSON as Step Functions passes it on: dates become epoch milliseconds, undefined fields go. */
function toJson(value: unknown): JsonValue {
  return JSON.parse(
    JSON.stringify(value, function (this: Record<string, unknown>, key, converted) {
      const raw = this[key];
      return raw instanceof Date ? raw.getTime() : converted;
    }),
  ) as JsonValue;
}

function throwIfStopped(context: TaskContext): void {
  if (context.signal.aborted) throw new ExecutionStoppedError();
}

/** Athena's API errors surface as `Athena.<ExceptionName>`, as in the real integration. */
function athenaError(error: unknown): Error {
  if (error instanceof Error && /^[A-Z][A-Za-z]*Exception$/.test(error.name)) {
    return taskError(`Athena.${error.name}`, error.message);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * `athena:startQueryExecution.sync`: starts the query, waits for it to end and returns
 * `{QueryExecution}` as GetQueryExecution does. A FAILED or CANCELLED query throws `States.TaskFailed`
 * with `{QueryExecution}` as JSON in the Cause, which is what the real integration reports.
 */
const athenaStartQuerySync: HandlerFactory = (services, context) => async (input) => {
  throwIfStopped(context);
  let queryExecutionId: string;
  try {
    const started = await services.athena.startQueryExecution(input as unknown as StartQueryExecutionInput);
    if (!started.QueryExecutionId) throw new Error('StartQueryExecution returned no QueryExecutionId');
    queryExecutionId = started.QueryExecutionId;
  } catch (error) {
    throw athenaError(error);
  }
  services.metrics.count('StartQueryCount', 1, context.className ? classDimension(context.className) : {});
  context.athenaQueryExecutionId = queryExecutionId;
  if (context.signal.aborted) {
    // Stopped while the start call was in flight: the stopper did not know this query yet.
    await services.athena.stopQueryExecution({ QueryExecutionId: queryExecutionId }).catch(() => undefined);
    throw new ExecutionStoppedError();
  }
  let execution: QueryExecution;
  try {
    ({ QueryExecution: execution } = await services.athena.waitForQueryExecution(
      queryExecutionId,
      context.signal,
    ));
  } catch (error) {
    if (context.signal.aborted) throw new ExecutionStoppedError();
    throw athenaError(error);
  } finally {
    if (!context.signal.aborted) context.athenaQueryExecutionId = undefined;
  }
  const result = toJson({ QueryExecution: execution });
  if (execution.Status?.State === 'SUCCEEDED') return result;
  throw taskError('States.TaskFailed', JSON.stringify(result));
};

/** `sqs:sendMessage` to a local queue; an object MessageBody is sent as its JSON text, as Step Functions does. */
const sqsSendMessage: HandlerFactory = (services, context) => async (input) => {
  throwIfStopped(context);
  const request = input as {
    QueueUrl?: string;
    MessageBody?: unknown;
    DelaySeconds?: number;
    MessageAttributes?: Record<string, { StringValue?: string }>;
  };
  const name = request.QueueUrl ? queueNameOfUrl(request.QueueUrl) : undefined;
  const queue = name ? services.queues[name] : undefined;
  if (!queue) {
    throw taskError(
      'SQS.QueueDoesNotExistException',
      `The specified queue does not exist: ${request.QueueUrl} (local queues: ${Object.keys(services.queues)
        .map((q) => `local://${q}`)
        .join(', ')})`,
    );
  }
  const body =
    typeof request.MessageBody === 'string' ? request.MessageBody : JSON.stringify(request.MessageBody);
  const attributes = Object.fromEntries(
    Object.entries(request.MessageAttributes ?? {}).map(([key, value]) => [
      key,
      String(value.StringValue ?? ''),
    ]),
  );
  try {
    const { messageId } = queue.send(body, { delaySeconds: request.DelaySeconds, attributes });
    return { MessageId: messageId, MD5OfMessageBody: createHash('md5').update(body).digest('hex') };
  } catch (error) {
    throw taskError(`SQS.${(error as Error).name}`, (error as Error).message);
  }
};

/**
 * `sqs:sendMessage.waitForTaskToken`: sends the message (which carries `$$.Task.Token`), then waits
 * until the token is completed; SendTaskFailure's error and cause become the task's error.
 */
const sqsSendMessageWaitForTaskToken: HandlerFactory = (services, context) => async (input) => {
  const token = context.taskToken;
  if (!token) throw taskError('States.Runtime', 'a .waitForTaskToken task must pass $$.Task.Token');
  // Waiting starts before the send: the reader may complete the token at once.
  const completed = services.tokens.wait(token, context.executionArn, context.signal);
  try {
    await sqsSendMessage(services, context)(input);
  } catch (error) {
    services.tokens.forget(context.executionArn);
    completed.catch(() => undefined);
    throw error;
  }
  return (await completed) as JsonValue;
};

/** `dynamodb:updateItem` on the local DynamoDB; errors keep their `DynamoDB.<Exception>` names. */
const dynamoDbUpdateItem: HandlerFactory = (services, context) => async (input) => {
  throwIfStopped(context);
  return toJson(services.dynamodb.updateItemSync(input as unknown as UpdateItemParams));
};

const HANDLER_FACTORIES: Readonly<Record<string, HandlerFactory>> = {
  [RESOURCES.athenaStartQuerySync]: athenaStartQuerySync,
  [RESOURCES.sqsSendMessage]: sqsSendMessage,
  [RESOURCES.sqsSendMessageWaitForTaskToken]: sqsSendMessageWaitForTaskToken,
  [RESOURCES.dynamoDbUpdateItem]: dynamoDbUpdateItem,
};

/** Resources the local runtime serves. */
export const SUPPORTED_RESOURCES: readonly string[] = Object.keys(HANDLER_FACTORIES);

type States = StateMachineDefinition['States'];

/** Every Task state of a definition (inside Parallel branches and Map processors too), with its Resource. */
export function taskStates(
  definition: Pick<StateMachineDefinition, 'States'>,
): { name: string; resource: string }[] {
  const found: { name: string; resource: string }[] = [];
  const visit = (states: States) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') found.push({ name, resource: state.Resource });
      if (state.Type === 'Parallel') for (const branch of state.Branches) visit(branch.States);
      if (state.Type === 'Map') {
        const processor = state.ItemProcessor ?? state.Iterator;
        if (processor) visit(processor.States);
      }
    }
  };
  visit(definition.States);
  return found;
}

/** Throws UnsupportedTaskResourceError for the first Task state whose Resource has no local handler. */
export function checkTaskResources(definition: Pick<StateMachineDefinition, 'States'>): void {
  for (const { name, resource } of taskStates(definition)) {
    if (!HANDLER_FACTORIES[resource])
      throw new UnsupportedTaskResourceError(name, resource, SUPPORTED_RESOURCES);
  }
}

/** A handler for every Task state, chosen by its Resource, bound to one execution. */
export function taskHandlersFor(
  definition: Pick<StateMachineDefinition, 'States'>,
  services: TaskServices,
  context: TaskContext,
): TaskHandlers {
  const handlers: TaskHandlers = {};
  for (const { name, resource } of taskStates(definition)) {
    const factory = HANDLER_FACTORIES[resource];
    if (!factory) throw new UnsupportedTaskResourceError(name, resource, SUPPORTED_RESOURCES);
    const handler = factory(services, context);
    handlers[name] = (input) => {
      // A token of an earlier Task of this execution is over: that task timed out or moved on.
      if (resource !== RESOURCES.sqsSendMessageWaitForTaskToken) services.tokens.forget(context.executionArn);
      context.onTaskStart?.(name);
      const injected = services.injectedFault?.(name);
      if (injected) return Promise.reject(injected);
      return handler(input);
    };
  }
  return handlers;
}
