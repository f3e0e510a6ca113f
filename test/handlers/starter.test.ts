import './support/aws-env';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  PutCommand,
  type PutCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { SQSEvent } from 'aws-lambda';
import { handler } from '../../functions/starter';
import { TEST_ENV } from './support/aws-env';
import { lambdaContext, queryRecord, sqsRecord, submissionBody } from './support/events';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const sqs = mockClient(SQSClient);

const executionArn = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:run-query:${name}`;
const holder = (className: string) => ({ className, acquiredAt: '2026-01-01T11:59:00.000Z' });
/** exploratory (max 3 slots in the default config) is full; every other class has room. */
const fullExploratory = {
  id: 'slots',
  holders: {
    e1: holder('exploratory'),
    e2: holder('exploratory'),
    e3: holder('exploratory'),
    e4: holder('exploratory'),
  },
  version: 7,
};

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  sqs.reset();
  ddb
    .on(GetCommand)
    .callsFake((input: GetCommandInput) =>
      input.TableName === TEST_ENV.SLOTS_TABLE_NAME ? { Item: fullExploratory } : {},
    );
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  sfn
    .on(StartExecutionCommand)
    .callsFake((input: { name: string }) => ({ executionArn: executionArn(input.name) }));
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({});
});

const event = (...records: ReturnType<typeof sqsRecord>[]): SQSEvent => ({ Records: records });

describe('starter handler', () => {
  it('reports exactly the waiting and the failing messages as batch item failures', async () => {
    // Prepare
    ddb.on(PutCommand).callsFake((input: PutCommandInput) => {
      if (input.Item?.queryId === 'q-boom') throw new Error('DynamoDB is unreachable');
      return {};
    });
    // Act
    const response = await handler(
      event(
        sqsRecord('m-started', submissionBody('q-started', 'predictable')),
        sqsRecord('m-wait', submissionBody('q-wait', 'exploratory'), 2),
        sqsRecord('m-boom', submissionBody('q-boom', 'fast')),
      ),
      lambdaContext,
    );
    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m-boom', 'm-wait']);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: TEST_ENV.STATE_MACHINE_ARN,
      name: 'q-started',
    });
    expect(sqs).toHaveReceivedCommandTimes(ChangeMessageVisibilityCommand, 1);
    const visibility = sqs.commandCalls(ChangeMessageVisibilityCommand)[0].args[0].input;
    expect(visibility.QueueUrl).toBe(TEST_ENV.QUERIES_QUEUE_URL);
    expect(visibility.ReceiptHandle).toBe('rh-m-wait');
    expect(visibility.VisibilityTimeout).toBeGreaterThanOrEqual(1);
    // The waiting query's record says why it waits.
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TEST_ENV.LEDGER_TABLE_NAME,
      Key: { queryId: 'q-wait' },
      ExpressionAttributeValues: expect.objectContaining({ ':v0': 'WAITING_FOR_SLOT' }),
    });
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
  });

  it('does not fail a batch where every query waits for a slot (busy is not an error)', async () => {
    const response = await handler(
      event(sqsRecord('m-wait', submissionBody('q-wait', 'exploratory'))),
      lambdaContext,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-wait' }]);
  });

  it('treats ExecutionAlreadyExists as already handled: no failure, no park, no other start', async () => {
    // Prepare
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    // Act
    const response = await handler(event(sqsRecord('m1', submissionBody('q1', 'fast'))), lambdaContext);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
    expect(sqs).not.toHaveReceivedCommand(ChangeMessageVisibilityCommand);
  });

  it('drops a redelivered message whose attempt already runs without starting it again', async () => {
    // Prepare
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    ddb
      .on(GetCommand)
      .callsFake((input: GetCommandInput) =>
        input.TableName === TEST_ENV.LEDGER_TABLE_NAME
          ? { Item: queryRecord('q1', { status: 'RUNNING', attempts: 1, executionArn: executionArn('q1') }) }
          : { Item: fullExploratory },
      );
    // Act
    const response = await handler(event(sqsRecord('m1', submissionBody('q1', 'fast'), 2)), lambdaContext);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('parks a poison message in the failed queue with its reason and does not retry it', async () => {
    // Act
    const response = await handler(event(sqsRecord('m-poison', 'this is not JSON')), lambdaContext);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: TEST_ENV.FAILED_QUEUE_URL,
      MessageBody: 'this is not JSON',
      MessageAttributes: { reason: { DataType: 'String', StringValue: 'the message is not JSON' } },
    });
    expect(sqs).not.toHaveReceivedCommand(ChangeMessageVisibilityCommand);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('keeps the message (batch item failure) when parking it fails', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('SQS unavailable'));
    const response = await handler(event(sqsRecord('m-poison', '{"queryId": 5}')), lambdaContext);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-poison' }]);
  });
});
