import {
  ChangeMessageVisibilityCommand,
  type ChangeMessageVisibilityCommandInput,
  DeleteMessageCommand,
  type DeleteMessageCommandInput,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SendMessageCommand,
  type SendMessageCommandInput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SqsMessageQueue } from '../../functions/adapters/aws/sqs-message-queue';
import { InMemoryQueue } from '../../functions/adapters/memory/in-memory-queue';
import type { MessageQueue } from '../../functions/core/ports';
import { messageQueueOf, SqliteQueue } from '../../local/store/sqlite-queue';
import { manualClock, tempDatabase } from '../local/store/temp-db';

/**
 * The MessageQueue port's contract, run against each implementation: in memory, the local runtime's
 * SQLite queue, and the SQS adapter on a mocked SQS client whose answers come from a SQLite queue
 * (an SQS stand-in with visibility timeouts and receipt handles), so the adapter's requests and its
 * reading of the answers are exercised together. Every queue hides a received message for 30 s.
 */

const VISIBILITY_SECONDS = 30;
const sqs = mockClient(SQSClient);

interface Subject {
  readonly queue: MessageQueue;
  readonly clock: ReturnType<typeof manualClock>;
  readonly close: () => void;
}

function inMemory(): Subject {
  const clock = manualClock();
  return {
    queue: new InMemoryQueue({ clock, visibilityTimeoutSeconds: VISIBILITY_SECONDS }),
    clock,
    close: () => {},
  };
}

function sqlite(): Subject {
  const clock = manualClock();
  const database = tempDatabase();
  const queue = new SqliteQueue(database.db, {
    name: 'queries',
    clock,
    visibilityTimeoutSeconds: VISIBILITY_SECONDS,
  });
  return { queue: messageQueueOf(queue), clock, close: () => database.close() };
}

/** SQS's side, as its API reference describes it, played by a SQLite queue. */
function sqsOnMock(): Subject {
  const clock = manualClock();
  const database = tempDatabase();
  const backing = new SqliteQueue(database.db, {
    name: 'queries',
    clock,
    visibilityTimeoutSeconds: VISIBILITY_SECONDS,
  });
  const url = 'https://sqs.us-east-1.amazonaws.com/123456789012/queries';
  const ofUrl = (input: { QueueUrl?: string }) => {
    if (input.QueueUrl !== url)
      throw Object.assign(new Error('The specified queue does not exist.'), { name: 'QueueDoesNotExist' });
  };
  sqs.reset();
  sqs.on(SendMessageCommand).callsFake((input: SendMessageCommandInput) => {
    ofUrl(input);
    const attributes = Object.fromEntries(
      Object.entries(input.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue ?? '']),
    );
    return { MessageId: backing.send(input.MessageBody ?? '', { attributes }).messageId };
  });
  sqs.on(ReceiveMessageCommand).callsFake((input: ReceiveMessageCommandInput) => {
    ofUrl(input);
    const wanted = input.MessageSystemAttributeNames ?? [];
    return {
      Messages: backing.receive(input.MaxNumberOfMessages ?? 1).map((m) => ({
        MessageId: m.messageId,
        Body: m.body,
        ReceiptHandle: m.receiptHandle,
        // SQS answers only the system attributes asked for.
        ...(wanted.includes('ApproximateReceiveCount')
          ? { Attributes: { ApproximateReceiveCount: String(m.receiveCount) } }
          : {}),
      })),
    };
  });
  sqs.on(DeleteMessageCommand).callsFake((input: DeleteMessageCommandInput) => {
    ofUrl(input);
    backing.delete(input.ReceiptHandle ?? '');
    return {};
  });
  sqs.on(ChangeMessageVisibilityCommand).callsFake((input: ChangeMessageVisibilityCommandInput) => {
    ofUrl(input);
    if (!backing.changeVisibility(input.ReceiptHandle ?? '', input.VisibilityTimeout ?? 0)) {
      throw Object.assign(
        new Error('Message does not exist or is not available for visibility timeout change.'),
        {
          name: 'MessageNotInflight',
        },
      );
    }
    return {};
  });
  return {
    queue: new SqsMessageQueue(new SQSClient({ region: 'us-east-1' }), { queueUrl: url, waitTimeSeconds: 0 }),
    clock,
    close: () => {
      sqs.reset();
      database.close();
    },
  };
}

describe.each([
  ['in memory', inMemory],
  ['the local SQLite queue', sqlite],
  ['the SQS adapter on mocked SQS', sqsOnMock],
])('MessageQueue contract: %s', (_name, make) => {
  let subject: Subject;
  beforeEach(() => {
    subject = make();
  });
  afterEach(() => subject.close());

  it('hands a received message to no one else until its visibility timeout ends, then again with one more receive', async () => {
    const { queue, clock } = subject;
    await queue.send('{"queryId":"q1"}');
    const [first] = await queue.receive(10);
    expect(first).toMatchObject({ body: '{"queryId":"q1"}', receiveCount: 1 });
    clock.advance(VISIBILITY_SECONDS * 1000 - 1);
    expect(await queue.receive(10)).toEqual([]);
    clock.advance(1);
    const [again] = await queue.receive(10);
    expect(again).toMatchObject({ body: '{"queryId":"q1"}', receiveCount: 2 });
    expect(again.receiptHandle).not.toBe(first.receiptHandle);
  });

  it('never hands out a deleted message again', async () => {
    const { queue, clock } = subject;
    await queue.send('a');
    const [message] = await queue.receive(1);
    await queue.delete(message.receiptHandle);
    clock.advance(VISIBILITY_SECONDS * 1000);
    expect(await queue.receive(10)).toEqual([]);
  });

  it('brings a message back when its visibility is changed: at once with 0, after the given seconds otherwise', async () => {
    const { queue, clock } = subject;
    await queue.send('a');
    const [first] = await queue.receive(1);
    await queue.changeVisibility(first.receiptHandle, 0);
    const [second] = await queue.receive(1);
    expect(second).toMatchObject({ body: 'a', receiveCount: 2 });
    await queue.changeVisibility(second.receiptHandle, 120);
    clock.advance(119_999);
    expect(await queue.receive(1)).toEqual([]);
    clock.advance(1);
    expect(await queue.receive(1)).toMatchObject([{ body: 'a', receiveCount: 3 }]);
  });

  it('hands out at most the number asked for, each message once', async () => {
    const { queue } = subject;
    for (const body of ['a', 'b', 'c']) await queue.send(body, { reason: 'why' });
    const first = await queue.receive(2);
    const rest = await queue.receive(10);
    expect(first).toHaveLength(2);
    expect([...first, ...rest].map((m) => m.body).sort()).toEqual(['a', 'b', 'c']);
    expect(await queue.receive(10)).toEqual([]);
  });
});
