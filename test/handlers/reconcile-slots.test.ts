import './support/aws-env';
import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import {
  DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/reconcile-slots';
import { TEST_ENV } from './support/aws-env';
import { queryRecord } from './support/events';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const arn = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:run-query:${name}`;

const statusChange = (name: string, status: string) => ({
  version: '0',
  id: 'e1',
  source: 'aws.states',
  'detail-type': 'Step Functions Execution Status Change',
  detail: { executionArn: arn(name), name, status, stateMachineArn: TEST_ENV.STATE_MACHINE_ARN },
});

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  ddb.on(UpdateCommand).resolves({});
});

describe('reconcile-slots handler', () => {
  it('on a TIMED_OUT execution event: frees the slot and records FAILED for the attempt it ran', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({
      Item: queryRecord('q1', { status: 'RUNNING', attempts: 2, executionArn: arn('q1__r1') }),
    });
    // Act
    const result = await handler(statusChange('q1__r1', 'TIMED_OUT'));
    // Assess
    expect(result).toMatchObject({ queryId: 'q1', released: true, marked: 'FAILED' });
    const updates = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(updates.find((u) => u.TableName === TEST_ENV.SLOTS_TABLE_NAME)).toMatchObject({
      UpdateExpression: 'REMOVE #holders.#q',
      ExpressionAttributeNames: { '#q': 'q1' },
    });
    const ledger = updates.find((u) => u.TableName === TEST_ENV.LEDGER_TABLE_NAME);
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
      Item: queryRecord('q1', {
        status: 'CANCELLED',
        cancelledBy: 'arn:aws:iam::123456789012:user/alice',
        executionArn: arn('q1'),
      }),
    });
    const result = await handler(statusChange('q1', 'ABORTED'));
    expect(result).toEqual({ queryId: 'q1', released: true });
    const tables = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input.TableName);
    // Only the slot table is written (the holder, then any place in line): the ledger keeps the CANCELLED.
    expect(new Set(tables)).toEqual(new Set([TEST_ENV.SLOTS_TABLE_NAME]));
  });

  it('on the schedule: frees the slot of a RUNNING query whose execution failed, and records FAILED', async () => {
    // Prepare
    const old = new Date(Date.now() - 5 * 60_000).toISOString();
    ddb.on(GetCommand).callsFake((input: GetCommandInput) =>
      input.TableName === TEST_ENV.SLOTS_TABLE_NAME
        ? { Item: { id: 'slots', holders: { q1: { className: 'fast', acquiredAt: old } }, version: 4 } }
        : {
            Item: queryRecord('q1', {
              status: 'RUNNING',
              attempts: 1,
              executionArn: arn('q1'),
              startedAt: old,
            }),
          },
    );
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED' } as never);
    // Act
    const summary = await handler({ source: 'aws.scheduler' });
    // Assess
    expect(summary).toMatchObject({
      released: [{ queryId: 'q1' }],
      marked: [{ queryId: 'q1', status: 'FAILED' }],
    });
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: arn('q1') });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TEST_ENV.SLOTS_TABLE_NAME,
      ConditionExpression: '#holders.#q.#acquiredAt = :acquiredAt',
    });
  });

  it('on the schedule: stops a query running past its class time limit', async () => {
    // Prepare: fast allows 5 minutes.
    const started = new Date(Date.now() - 6 * 60_000).toISOString();
    ddb.on(GetCommand).callsFake((input: GetCommandInput) =>
      input.TableName === TEST_ENV.SLOTS_TABLE_NAME
        ? { Item: { id: 'slots', holders: { q1: { className: 'fast', acquiredAt: started } }, version: 4 } }
        : {
            Item: queryRecord('q1', {
              status: 'RUNNING',
              attempts: 1,
              executionArn: arn('q1'),
              startedAt: started,
            }),
          },
    );
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' } as never);
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
    // Act
    const summary = await handler({});
    // Assess
    expect(summary).toMatchObject({ stopped: ['q1'], marked: [{ queryId: 'q1', status: 'FAILED' }] });
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: arn('q1'),
      error: 'athena-wlm.TimeLimitExceeded',
    });
  });
});
