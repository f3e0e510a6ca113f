import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { MessageQueue, MessageReceipts, ReceivedMessage } from '../../core/ports';

export interface SqsMessageQueueProps {
  readonly queueUrl: string;
  /** Long-poll wait of a receive, in seconds (0 returns at once). @default 1 */
  readonly waitTimeSeconds?: number;
}

/** One SQS queue behind the core's MessageQueue port. */
export class SqsMessageQueue implements MessageQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly props: SqsMessageQueueProps,
  ) {}

  async receive(maxMessages: number): Promise<readonly ReceivedMessage[]> {
    const out = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.props.queueUrl,
        MaxNumberOfMessages: Math.max(1, Math.min(10, maxMessages)),
        WaitTimeSeconds: this.props.waitTimeSeconds ?? 1,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    return (out.Messages ?? []).flatMap((m) =>
      m.Body !== undefined && m.ReceiptHandle
        ? [
            {
              body: m.Body,
              receiptHandle: m.ReceiptHandle,
              receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
            },
          ]
        : [],
    );
  }

  async send(body: string, attributes?: Readonly<Record<string, string>>): Promise<void> {
    const entries = Object.entries(attributes ?? {}).filter(([, value]) => value !== '');
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.props.queueUrl,
        MessageBody: body,
        ...(entries.length > 0
          ? {
              MessageAttributes: Object.fromEntries(
                entries.map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
              ),
            }
          : {}),
      }),
    );
  }

  async delete(receiptHandle: string): Promise<void> {
    await this.client.send(
      new DeleteMessageCommand({ QueueUrl: this.props.queueUrl, ReceiptHandle: receiptHandle }),
    );
  }

  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    await changeVisibility(this.client, this.props.queueUrl, receiptHandle, seconds);
  }
}

/**
 * The queue a Lambda SQS event source reads, as its handler sees the messages of a batch: the event
 * source itself deletes each message the handler returns for and keeps each one it reports as a batch
 * item failure, which comes back after its visibility timeout
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html), so `delete` sends
 * nothing; a visibility change is SQS's own, and the handler must then report the message as failed.
 */
export class SqsEventSourceQueue implements MessageReceipts {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async delete(): Promise<void> {}

  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    await changeVisibility(this.client, this.queueUrl, receiptHandle, seconds);
  }
}

/**
 * ChangeMessageVisibility: the message becomes visible `seconds` from now, 0 to 43,200
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html).
 */
async function changeVisibility(
  client: SQSClient,
  queueUrl: string,
  receiptHandle: string,
  seconds: number,
): Promise<void> {
  await client.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrl,
      ReceiptHandle: receiptHandle,
      VisibilityTimeout: seconds,
    }),
  );
}
