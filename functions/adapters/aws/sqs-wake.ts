import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { WAKE_MESSAGE_GROUP } from '../../../contracts/queues';
import type { SetAsideEvent } from '../../core/dispatcher';
import type { Wake, WakeEvent } from '../../core/wake-event';

/**
 * Wakes the dispatcher through its SQS FIFO queue. One message group keeps the events in order and
 * makes the dispatcher's event source run one batch at a time; the queue's content-based deduplication
 * drops an event sent twice within five minutes (a retried send), which every event tolerates anyway.
 */
export class SqsWake implements Wake {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(event: WakeEvent): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(event),
        MessageGroupId: WAKE_MESSAGE_GROUP,
      }),
    );
  }
}

/**
 * The wake events SQS moved to the dead-letter queue `dispatch-wake-failed.fifo` after failed passes:
 * up to ten per call, each removed once the dispatcher applied it. The visibility timeout keeps a
 * message received here away from the next sweep while this one works on it.
 */
export async function receiveSetAside(
  client: SQSClient,
  queueUrl: string,
  max = 10,
): Promise<SetAsideEvent[]> {
  const received = await client.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: max, VisibilityTimeout: 60 }),
  );
  return (received.Messages ?? []).map((message) => ({
    body: parseJson(message.Body ?? ''),
    done: async () => {
      await client.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    },
  }));
}

/** A body that is not JSON stays a string: the dispatcher counts it invalid and drops it. */
export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
