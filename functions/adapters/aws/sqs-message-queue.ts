import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { MessageQueue, ReceivedMessage } from '../../core/ports';

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
}
