import './support/aws-env';
import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/reconcile-slots';
import { TEST_ENV } from './support/aws-env';
import { lambdaContext, storedItem } from './support/events';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const sqs = mockClient(SQSClient);
const arn = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:run-query:${name}`;

const statusChange = (name: string, status: string) => ({
  version: '0',
  id: 'e1',
  source: 'aws.states',
  'detail-type': 'Step Functions Execution Status Change',
  detail: { executionArn: arn(name), name, status, stateMachineArn: TEST_ENV.STATE_MACHINE_ARN },
});

/** The wake events sent to the dispatcher's FIFO queue. */
const wakes = () =>
  sqs.commandCalls(SendMessageCommand).map((c) => {
    expect(c.args[0].input).toMatchObject({ QueueUrl: TEST_ENV.WAKE_QUEUE_URL, MessageGroupId: 'dispatch' });
    return JSON.parse(c.args[0].input.MessageBody as string);
  });

/** The dispatch table holds these slot holders (`pk = held`); the reconciler only reads them. */
function held(...holders: Record<string, unknown>[]) {
  ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    expect(input).toMatchObject({
      TableName: TEST_ENV.DISPATCH_TABLE_NAME,
      ExpressionAttributeValues: { ':pk': 'held' },
    });
    return { Items: holders.map((h) => ({ pk: 'held', sk: h.queryId, ...h })) };
  });
}

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  sqs.reset();
  ddb.on(UpdateCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
});

describe('reconcile-slots handler', () => {
  it('on a TIMED_OUT execution event: frees the slot and records FAILED for the attempt it ran', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({
      Item: storedItem('q1', { status: 'RUNNING', attempts: 2, executionArn: arn('q1__r1') }),
    });
    // Act
    const result = await handler(statusChange('q1__r1', 'TIMED_OUT'), lambdaContext);
    // Assess
    expect(result).toMatchObject({ queryId: 'q1', released: true, marked: 'FAILED' });
    // The slot of that attempt's execution is given back through the dispatcher, never written here.
    expect(wakes()).toEqual([{ type: 'release', queryId: 'q1', executionArn: arn('q1__r1') }]);
    const updates = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(updates.map((u) => u.TableName)).toEqual([TEST_ENV.LEDGER_TABLE_NAME]);
    const ledger = updates[0];
    expect(Object.values(ledger?.ExpressionAttributeValues ?? {})).toEqual(
      expect.arrayContaining([
        'FAILED',
        'RUNNING',
        expect.stringContaining('ended TIMED_OUT without recording a result'),
      ]),
    );
  });

  it('on an ABORTED event after a user cancel: frees the slot and keeps the CANCELLED the cancel wrote', async () => {
    ddb.on(GetCommand).resolves({
      Item: storedItem('q1', {
        status: 'CANCELLED',
        cancelledBy: 'arn:aws:iam::123456789012:user/alice',
        executionArn: arn('q1'),
      }),
    });
    const result = await handler(statusChange('q1', 'ABORTED'), lambdaContext);
    expect(result).toEqual({ queryId: 'q1', released: true });
    expect(wakes()).toEqual([{ type: 'release', queryId: 'q1', executionArn: arn('q1') }]);
    // The ledger keeps the CANCELLED the user's cancel wrote.
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('on an event of an older attempt while a newer one waits: gives back nothing', async () => {
    ddb.on(GetCommand).resolves({
      Item: storedItem('q1', { status: 'WAITING_FOR_SLOT', attempts: 2, executionArn: arn('q1__r1') }),
    });
    const result = await handler(statusChange('q1', 'ABORTED'), lambdaContext);
    expect(result).toMatchObject({ queryId: 'q1', released: false });
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('on the schedule: frees the slot of a RUNNING query whose execution failed, and records FAILED', async () => {
    // Prepare
    const old = new Date(Date.now() - 5 * 60_000).toISOString();
    held({ queryId: 'q1', className: 'fast', acquiredAt: old, executionArn: arn('q1'), attempt: 1 });
    ddb.on(GetCommand).resolves({
      Item: storedItem('q1', { status: 'RUNNING', attempts: 1, executionArn: arn('q1'), startedAt: old }),
    });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED' } as never);
    // Act
    const summary = await handler({ source: 'aws.scheduler' }, lambdaContext);
    // Assess
    expect(summary).toMatchObject({
      released: [{ queryId: 'q1' }],
      marked: [{ queryId: 'q1', status: 'FAILED' }],
    });
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: arn('q1') });
    expect(wakes()).toEqual([{ type: 'release', queryId: 'q1', executionArn: arn('q1') }]);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, { TableName: TEST_ENV.LEDGER_TABLE_NAME });
  });

  it('on the schedule: stops a query running past its class time limit', async () => {
    // Prepare: fast allows 5 minutes.
    const started = new Date(Date.now() - 6 * 60_000).toISOString();
    held({ queryId: 'q1', className: 'fast', acquiredAt: started, executionArn: arn('q1'), attempt: 1 });
    ddb.on(GetCommand).resolves({
      Item: storedItem('q1', {
        status: 'RUNNING',
        attempts: 1,
        executionArn: arn('q1'),
        startedAt: started,
      }),
    });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' } as never);
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
    // Act
    const summary = await handler({}, lambdaContext);
    // Assess
    expect(summary).toMatchObject({ stopped: ['q1'], marked: [{ queryId: 'q1', status: 'FAILED' }] });
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: arn('q1'),
      error: 'athena-wlm.TimeLimitExceeded',
    });
    expect(wakes()).toEqual([{ type: 'release', queryId: 'q1', executionArn: arn('q1') }]);
  });

  it('on the schedule: keeps the slot of a query whose execution still runs within its limit', async () => {
    const started = new Date(Date.now() - 60_000).toISOString();
    held({ queryId: 'q1', className: 'fast', acquiredAt: started, executionArn: arn('q1'), attempt: 1 });
    ddb.on(GetCommand).resolves({
      Item: storedItem('q1', {
        status: 'RUNNING',
        attempts: 1,
        executionArn: arn('q1'),
        startedAt: started,
      }),
    });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' } as never);
    const summary = await handler({}, lambdaContext);
    expect(summary).toMatchObject({ examined: 1, released: [], stopped: [] });
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
  });
});
