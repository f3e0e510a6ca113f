import './support/aws-env';
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/redrive';
import { TEST_ENV } from './support/aws-env';
import { lambdaContext, storedItem } from './support/events';

const ddb = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);

const deferred = (queryId: string, attempt: number) =>
  JSON.stringify({ queryId, className: 'fast', attempt });

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  ddb.on(GetCommand).callsFake((input: GetCommandInput) => {
    const queryId = (input.Key as { queryId: string }).queryId;
    const attempts = queryId === 'q-tired' ? 11 : 1;
    return { Item: storedItem(queryId, { status: 'DEFERRED', attempts, redrives: attempts - 1 }) };
  });
  ddb.on(UpdateCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({});
  sqs.on(DeleteMessageCommand).resolves({});
});

describe('redrive handler', () => {
  it('moves deferred queries back to the queries queue and parks one past the redrive cap', async () => {
    // Prepare
    let receives = 0;
    sqs.on(ReceiveMessageCommand).callsFake((input: ReceiveMessageCommandInput) => {
      expect(input.QueueUrl).toBe(TEST_ENV.DEFERRED_QUEUE_URL);
      receives++;
      if (receives > 1) return { Messages: [] };
      return {
        Messages: [
          {
            Body: deferred('q-again', 2),
            ReceiptHandle: 'rh-again',
            Attributes: { ApproximateReceiveCount: '1' },
          },
          {
            Body: deferred('q-tired', 12),
            ReceiptHandle: 'rh-tired',
            Attributes: { ApproximateReceiveCount: '1' },
          },
        ],
      };
    });
    // Act
    const summary = await handler({}, lambdaContext);
    // Assess
    expect(summary).toEqual({ redriven: 1, parked: 1, dropped: 0 });
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: TEST_ENV.QUERIES_QUEUE_URL,
      MessageBody: deferred('q-again', 2),
    });
    const parked = sqs
      .commandCalls(SendMessageCommand)
      .map((c) => c.args[0].input)
      .find((input) => input.QueueUrl === TEST_ENV.FAILED_QUEUE_URL);
    expect(parked?.MessageBody).toBe(deferred('q-tired', 12));
    expect(parked?.MessageAttributes?.reason.StringValue).toMatch(/redriven 10 times/);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { queryId: 'q-tired' },
      ExpressionAttributeValues: expect.objectContaining({ ':v0': 'FAILED' }),
    });
    expect(sqs).toHaveReceivedCommandTimes(DeleteMessageCommand, 2);
  });

  it('ends at once when the deferred queue is empty', async () => {
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
    await expect(handler({}, lambdaContext)).resolves.toEqual({ redriven: 0, parked: 0, dropped: 0 });
    expect(sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, { WaitTimeSeconds: 0 });
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
  });
});
