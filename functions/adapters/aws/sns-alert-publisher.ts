import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlertPublisher } from '../../core/ports';

/** SNS's limit on a message body, in bytes (256 KiB). */
const MAX_MESSAGE_BYTES = 262_144;

/** Alerts to the admins' SNS topic (email subscriptions come from the config). */
export class SnsAlertPublisher implements AlertPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(
    subject: string,
    message: string,
    attributes?: Readonly<Record<string, string>>,
  ): Promise<void> {
    const entries = Object.entries(attributes ?? {}).filter(([, value]) => value !== '');
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        // SNS subjects: ASCII, no line breaks, at most 100 characters.
        Subject: subject.replace(/[^\x20-\x7e]/g, ' ').slice(0, 100),
        Message: truncateBytes(message, MAX_MESSAGE_BYTES - 64),
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
}

function truncateBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  return `${Buffer.from(text, 'utf8').subarray(0, maxBytes).toString('utf8')}\n[truncated]`;
}
