import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { parseConfig, type WlmConfigInput } from '../../../contracts/config';
import { ENV } from '../../../contracts/env';
import { DynamoDbDispatchStore } from '../../../functions/adapters/aws/dynamodb-dispatch-store';
import { DynamoDbLedger, documentClient } from '../../../functions/adapters/aws/dynamodb-ledger';
import type { WakeEvent } from '../../../functions/core/wake-event';
import { handler } from '../../../functions/dispatcher';
import { LocalDocumentClient } from '../../../local/dynamodb/local-document-client';
import { LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb';
import { tempDatabase } from '../../local/store/temp-db';
import { TEST_ENV } from './aws-env';
import { lambdaContext, queryRecord, sqsRecord } from './events';

export const executionArn = (name: string) =>
  `arn:aws:states:us-east-1:123456789012:execution:run-query:${name}`;

/**
 * The dispatcher Lambda under a config, with AWS mocked: DynamoDB is the local DynamoDB behind
 * aws-sdk-client-mock, so the handler's ledger and dispatch-table writes run their real key conditions
 * and condition expressions and the test reads the resulting state; Service Quotas answers `quota`.
 * The config is read on the handler's first call and kept by its container (one per test file), as is
 * the start rate.
 */
export function dispatcherHarness(configInput: WlmConfigInput, quota: number) {
  const config = parseConfig(configInput);
  process.env[ENV.config] = JSON.stringify(config);
  const mocks = {
    ddb: mockClient(DynamoDBDocumentClient),
    sfn: mockClient(SFNClient),
    sqs: mockClient(SQSClient),
    serviceQuotas: mockClient(ServiceQuotasClient),
  };
  const state = {} as {
    database: ReturnType<typeof tempDatabase>;
    ledger: DynamoDbLedger;
    dispatch: DynamoDbDispatchStore;
  };
  let seq = 0;

  beforeEach(() => {
    for (const mock of Object.values(mocks)) mock.reset();
    state.database = tempDatabase();
    const local = new LocalDocumentClient(
      new LocalDynamoDb(state.database.db, {
        [TEST_ENV.LEDGER_TABLE_NAME]: { partitionKey: 'queryId' },
        [TEST_ENV.DISPATCH_TABLE_NAME]: { partitionKey: 'pk', sortKey: 'sk' },
      }),
    );
    mocks.ddb.on(GetCommand).callsFake((input) => local.send(new GetCommand(input)));
    mocks.ddb.on(PutCommand).callsFake((input) => local.send(new PutCommand(input)));
    mocks.ddb.on(UpdateCommand).callsFake((input) => local.send(new UpdateCommand(input)));
    mocks.ddb.on(DeleteCommand).callsFake((input) => local.send(new DeleteCommand(input)));
    mocks.ddb.on(QueryCommand).callsFake((input) => local.send(new QueryCommand(input)));
    state.ledger = new DynamoDbLedger(documentClient(), {
      tableName: TEST_ENV.LEDGER_TABLE_NAME,
      classes: Object.keys(config.classes),
    });
    state.dispatch = new DynamoDbDispatchStore(documentClient(), TEST_ENV.DISPATCH_TABLE_NAME);
    mocks.serviceQuotas.on(GetServiceQuotaCommand).resolves({ Quota: { Value: quota } });
    mocks.sfn.on(SendTaskSuccessCommand).resolves({});
    mocks.sfn.on(SendTaskFailureCommand).resolves({});
    mocks.sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
    mocks.sfn
      .on(StartExecutionCommand)
      .callsFake((input: { name: string }) => ({ executionArn: executionArn(input.name) }));
    mocks.sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    mocks.sqs.on(ReceiveMessageCommand).resolves({});
  });
  afterEach(() => state.database.close());

  return {
    ...mocks,
    get ledger() {
      return state.ledger;
    },
    get dispatch() {
      return state.dispatch;
    },

    /** A query waiting in EnterLine: its QUEUED record, and the enter event its execution sent. */
    async entering(queryId: string, className: string, submittedAt: string): Promise<WakeEvent> {
      await state.ledger.create(
        queryRecord(queryId, { className: className, submittedAt, status: 'QUEUED' }),
      );
      return {
        type: 'enter',
        queryId,
        className,
        submittedAt,
        waitUntil: new Date(Date.now() + 3_600_000).toISOString(),
        attempt: 1,
        executionArn: executionArn(queryId),
        taskToken: `token-${queryId}`,
      };
    },

    /** One invocation of the handler with these wake-queue messages. */
    wakeUp(...events: (WakeEvent | string)[]) {
      return handler(
        {
          Records: events.map((e) => sqsRecord(`m${seq++}`, typeof e === 'string' ? e : JSON.stringify(e))),
        },
        lambdaContext,
      );
    },

    /** The task tokens completed (queries admitted), in order. */
    admittedTokens(): string[] {
      return mocks.sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input.taskToken as string);
    },

    /** The wake events the handler sent to its own FIFO queue. */
    sentWakes(): unknown[] {
      return mocks.sqs.commandCalls(SendMessageCommand).map((c) => {
        const input = c.args[0].input;
        if (input.QueueUrl !== TEST_ENV.WAKE_QUEUE_URL || input.MessageGroupId !== 'dispatch') {
          throw new Error(`a message went elsewhere than the wake queue's group: ${JSON.stringify(input)}`);
        }
        return JSON.parse(input.MessageBody as string);
      });
    },
  };
}
