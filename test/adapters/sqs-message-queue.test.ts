import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { SqsMessageQueue } from '../../functions/adapters/aws/sqs-message-queue';

const sqs = mockClient(SQSClient);
const URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/queries';
const queue = (waitTimeSeconds?: number) =>
  new SqsMessageQueue(new SQSClient({}), { queueUrl: URL, waitTimeSeconds });

beforeEach(() => sqs.reset());

describe('SqsMessageQueue', () => {
  it('receives messages with their receive count', async () => {
    // Prepare
    sqs.on(ReceiveMessageCommand).resolves({
      Messages: [{ Body: '{"a":1}', ReceiptHandle: 'rh1', Attributes: { ApproximateReceiveCount: '3' } }],
    });
    // Act
    const messages = await queue(0).receive(25);
    // Assess
    expect(messages).toEqual([{ body: '{"a":1}', receiptHandle: 'rh1', receiveCount: 3 }]);
    expect(sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, {
      QueueUrl: URL,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    });
  });

  it('sends a body with string message attributes', async () => {
    sqs.on(SendMessageCommand).resolves({});
    await queue().send('{"q":1}', { reason: 'not JSON' });
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: URL,
      MessageBody: '{"q":1}',
      MessageAttributes: { reason: { DataType: 'String', StringValue: 'not JSON' } },
    });
  });

  it('deletes by receipt handle', async () => {
    sqs.on(DeleteMessageCommand).resolves({});
    await queue().delete('rh1');
    expect(sqs).toHaveReceivedCommandWith(DeleteMessageCommand, { QueueUrl: URL, ReceiptHandle: 'rh1' });
  });
});
