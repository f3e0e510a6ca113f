import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { SnsAlertPublisher } from '../../functions/adapters/aws/sns-alert-publisher';

const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:athena-wlm-admins';

describe('SnsAlertPublisher', () => {
  it('publishes one message with a subject SNS accepts and string attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm1' });
    await new SnsAlertPublisher(new SNSClient({}), TOPIC).publish(
      `athena-wlm: ${'x'.repeat(200)}\nline`,
      'body',
      {
        severity: 'critical',
      },
    );
    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(input.TopicArn).toBe(TOPIC);
    expect(input.Subject).toHaveLength(100);
    expect(input.Subject).not.toContain('\n');
    expect(input.MessageAttributes).toEqual({ severity: { DataType: 'String', StringValue: 'critical' } });
  });
});
