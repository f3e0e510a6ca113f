import './support/aws-env';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { SQSEvent } from 'aws-lambda';
import { handler } from '../../functions/starter';
import { TEST_ENV } from './support/aws-env';
import { lambdaContext, sqsRecord, storedItem, submissionBody } from './support/events';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const sqs = mockClient(SQSClient);

const executionArn = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:run-query:${name}`;

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  sqs.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  sfn
    .on(StartExecutionCommand)
    .callsFake((input: { name: string }) => ({ executionArn: executionArn(input.name) }));
  sqs.on(SendMessageCommand).resolves({});
});

const event = (...records: ReturnType<typeof sqsRecord>[]): SQSEvent => ({ Records: records });

describe('starter handler', () => {
  it('starts every query of a batch at once, whatever its class, and reports only the failing message', async () => {
    // Prepare
    ddb.on(PutCommand).callsFake((input: PutCommandInput) => {
      if (input.Item?.queryId === 'q-boom') throw new Error('DynamoDB is unreachable');
      return {};
    });
    // Act
    const response = await handler(
      event(
        sqsRecord('m-etl', submissionBody('q-etl', 'predictable')),
        sqsRecord('m-explore', submissionBody('q-explore', 'exploratory'), 2),
        sqsRecord('m-boom', submissionBody('q-boom', 'fast')),
      ),
      lambdaContext,
    );
    // Assess: the starter takes no slot; each execution waits in its class's line for the dispatcher.
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-boom' }]);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 2);
    const starts = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(starts.map((s) => [s.stateMachineArn, s.name])).toEqual([
      [TEST_ENV.STATE_MACHINE_ARN, 'q-etl'],
      [TEST_ENV.STATE_MACHINE_ARN, 'q-explore'],
    ]);
    // The input says where the execution waits and for how long (EnterLine's TimeoutSecondsPath).
    const input = JSON.parse(starts[1].input as string);
    expect(input).toMatchObject({
      queryId: 'q-explore',
      className: 'exploratory',
      attempt: 1,
      submittedAt: expect.any(String),
      waitUntil: expect.any(String),
      startQueryExecution: { WorkGroup: 'athena-wlm-exploratory', QueryString: 'SELECT 1' },
    });
    // exploratory's maxQueueWaitMinutes (180 by default), counted from the submission a second ago.
    expect(Date.parse(input.waitUntil) - Date.parse(input.submittedAt)).toBe(180 * 60_000);
    expect(input.queueWaitSeconds).toBeGreaterThan(180 * 60 - 5);
    expect(input.queueWaitSeconds).toBeLessThanOrEqual(180 * 60);
    // The starter writes no slot, no line and no wait status: only the ledger record.
    expect(new Set(ddb.calls().map((c) => (c.args[0].input as { TableName?: string }).TableName))).toEqual(
      new Set([TEST_ENV.LEDGER_TABLE_NAME]),
    );
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
    // The failed one comes back after the first retry's backoff, not the queue's visibility timeout;
    // the event source, not the handler, deletes the others.
    expect(sqs).toHaveReceivedCommandTimes(ChangeMessageVisibilityCommand, 1);
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, {
      QueueUrl: TEST_ENV.QUERIES_QUEUE_URL,
      ReceiptHandle: 'rh-m-boom',
      VisibilityTimeout: 5,
    });
    expect(sqs).not.toHaveReceivedCommand(DeleteMessageCommand);
  });

  it('ends a query already past its class’s queue-wait limit in the ledger and parks its message', async () => {
    // Prepare: submitted 181 minutes ago (maxQueueWaitMinutes 180).
    const body = JSON.stringify({
      ...JSON.parse(submissionBody('q-old', 'fast')),
      submittedAt: Date.now() - 181 * 60_000,
    });
    // Act
    const response = await handler(event(sqsRecord('m-old', body)), lambdaContext);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TEST_ENV.LEDGER_TABLE_NAME,
      Key: { queryId: 'q-old' },
      ExpressionAttributeValues: expect.objectContaining({ ':v0': 'FAILED' }),
    });
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: TEST_ENV.FAILED_QUEUE_URL,
      MessageBody: body,
    });
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
  });

  it('drops a redelivered message whose attempt already runs without starting it again', async () => {
    // Prepare
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    ddb.on(GetCommand).resolves({
      Item: storedItem('q1', { status: 'RUNNING', attempts: 1, executionArn: executionArn('q1') }),
    });
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
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('keeps the message (batch item failure) when parking it fails, to come back after a backoff', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('SQS unavailable'));
    const response = await handler(
      event(sqsRecord('m-ok', submissionBody('q-ok', 'fast')), sqsRecord('m-poison', '{"queryId": 5}', 3)),
      lambdaContext,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-poison' }]);
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, {
      ReceiptHandle: 'rh-m-poison',
      VisibilityTimeout: 20,
    });
  });

  it('fails the invocation when every message of the batch failed (no query waits in the starter any more)', async () => {
    ddb.on(PutCommand).rejects(new Error('DynamoDB is unreachable'));
    await expect(
      handler(
        event(sqsRecord('m1', submissionBody('q1', 'fast')), sqsRecord('m2', submissionBody('q2', 'long'))),
        lambdaContext,
      ),
    ).rejects.toThrow('All records failed processing');
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});
