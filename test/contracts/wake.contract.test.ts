import { SendMessageCommand, type SendMessageCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { WAKE_MESSAGE_GROUP } from '../../contracts/queues';
import { SqsWake } from '../../functions/adapters/aws/sqs-wake';
import { type Wake, type WakeEvent, wakeEventSchema } from '../../functions/core/wake-event';
import { localWake } from '../../local/dispatcher-worker';
import { SqliteQueue } from '../../local/store/sqlite-queue';
import { tempDatabase } from '../local/store/temp-db';
import { RecordingWake } from '../support/in-memory';

/**
 * The Wake port's contract, run against each implementation: the core tests' recording double, the
 * local wake queue, and the SQS adapter on a mocked SQS client that keeps the FIFO queue's one
 * message group in a SQLite queue. What the dispatcher reads back must be every event, in order, as sent.
 */

const sqs = mockClient(SQSClient);
afterAll(() => sqs.restore());

interface Subject {
  readonly wake: Wake;
  /** The events as the dispatcher receives them, oldest first. */
  readonly received: () => WakeEvent[];
  readonly close: () => void;
}

function fromQueue(queue: SqliteQueue): () => WakeEvent[] {
  return () => {
    const events: WakeEvent[] = [];
    for (let batch = queue.receive(10); batch.length > 0; batch = queue.receive(10)) {
      for (const message of batch) events.push(wakeEventSchema.parse(JSON.parse(message.body)));
    }
    return events;
  };
}

function recording(): Subject {
  const wake = new RecordingWake();
  return { wake, received: () => wake.events, close: () => {} };
}

function local(): Subject {
  const database = tempDatabase();
  const queue = new SqliteQueue(database.db, { name: 'dispatch-wake' });
  return { wake: localWake(queue), received: fromQueue(queue), close: () => database.close() };
}

function sqsOnMock(): Subject {
  const database = tempDatabase();
  const group = new SqliteQueue(database.db, { name: 'dispatch-wake.fifo' });
  const url = 'https://sqs.us-east-1.amazonaws.com/123456789012/athena-wlm-dispatch-wake.fifo';
  sqs.reset();
  sqs.on(SendMessageCommand).callsFake((input: SendMessageCommandInput) => {
    // A FIFO queue refuses a message without a group; the dispatcher's order holds within one group.
    if (input.QueueUrl !== url || input.MessageGroupId !== WAKE_MESSAGE_GROUP) {
      throw Object.assign(new Error('The request must contain the parameter MessageGroupId.'), {
        name: 'MissingParameter',
      });
    }
    return { MessageId: group.send(input.MessageBody ?? '').messageId };
  });
  return {
    wake: new SqsWake(new SQSClient({ region: 'us-east-1' }), url),
    received: fromQueue(group),
    close: () => database.close(),
  };
}

const EVENTS: WakeEvent[] = [
  {
    type: 'enter',
    queryId: 'q1',
    className: 'fast',
    submittedAt: '2026-01-01T00:00:00.000Z',
    attempt: 1,
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:run-query:q1',
    taskToken: 'token-q1',
    waitUntil: '2026-01-01T03:00:00.000Z',
  },
  {
    type: 'release',
    queryId: 'q0',
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:run-query:q0',
  },
  {
    type: 'leave',
    why: 'cancelled',
    queryId: 'q2',
    className: 'long',
    submittedAt: '2026-01-01T00:00:01.000Z',
  },
  { type: 'sweep', why: 'config changed' },
];

describe.each([
  ['the recording double', recording],
  ['the local wake queue', local],
  ['the SQS adapter on mocked SQS FIFO', sqsOnMock],
])('Wake contract: %s', (_name, make) => {
  let subject: Subject;
  beforeEach(() => {
    subject = make();
  });
  afterEach(() => subject.close());

  it('delivers every event, in the order sent, as the dispatcher parses it', async () => {
    for (const event of EVENTS) await subject.wake.send(event);
    expect(subject.received()).toEqual(EVENTS);
  });
});
