import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { WAKE_MESSAGE_GROUP } from '../../../contracts/queues';
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
