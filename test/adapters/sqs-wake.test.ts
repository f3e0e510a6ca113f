import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { WAKE_MESSAGE_GROUP } from '../../contracts/queues';
import { SqsWake } from '../../functions/adapters/aws/sqs-wake';
import { wakeEventSchema } from '../../functions/core/wake-event';

const sqs = mockClient(SQSClient);
const URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/athena-wlm-wake.fifo';

beforeEach(() => sqs.reset());

describe('SqsWake', () => {
  it('sends each event as JSON to the FIFO queue in the one message group the dispatcher reads', async () => {
    // Prepare
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
    const wake = new SqsWake(new SQSClient({}), URL);
    const release = { type: 'release', queryId: 'q1', executionArn: 'arn:x' } as const;
    const leave = {
      type: 'leave',
      why: 'cancelled',
      queryId: 'q2',
      className: 'fast',
      submittedAt: '2026-01-01T00:00:00.000Z',
    } as const;
    // Act
    await wake.send(release);
    await wake.send(leave);
    // Assess
    const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(sent.map((s) => [s.QueueUrl, s.MessageGroupId])).toEqual([
      [URL, WAKE_MESSAGE_GROUP],
      [URL, WAKE_MESSAGE_GROUP],
    ]);
    // The state machine sends to the same group (run-query.asl.json's MessageGroupId).
    expect(WAKE_MESSAGE_GROUP).toBe('dispatch');
    // What the dispatcher parses back is what was sent.
    expect(sent.map((s) => wakeEventSchema.parse(JSON.parse(s.MessageBody as string)))).toEqual([
      release,
      leave,
    ]);
    // Deduplication is the queue's (content-based), so no explicit id: two different events never collide.
    expect(sent.every((s) => s.MessageDeduplicationId === undefined)).toBe(true);
  });

  it('lets a failed send through, so the caller (a cancel, the reconciler) is retried', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('AWS.SimpleQueueService.NonExistentQueue'));
    await expect(new SqsWake(new SQSClient({}), URL).send({ type: 'sweep' })).rejects.toThrow(
      'NonExistentQueue',
    );
  });
});
