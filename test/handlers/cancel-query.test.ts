import { toLedgerItem } from '../../functions/adapters/ledger-item';
import './support/aws-env';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/cancel-query';
import type { QueryRecord } from '../../functions/core/query-record';
import { TEST_ENV } from './support/aws-env';
import { apiEvent, CALLER_ARN, lambdaContext, queryRecord, storedItem } from './support/events';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const sqs = mockClient(SQSClient);
const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:run-query:q1';

const cancel = () => handler(apiEvent('DELETE', '/queries/q1', { queryId: 'q1' }), lambdaContext);
const ledgerUpdates = () =>
  ddb
    .commandCalls(UpdateCommand)
    .map((c) => c.args[0].input)
    .filter((input) => input.TableName === TEST_ENV.LEDGER_TABLE_NAME);
/** The wake events sent to the dispatcher's FIFO queue. */
const wakes = () =>
  sqs.commandCalls(SendMessageCommand).map((c) => {
    expect(c.args[0].input).toMatchObject({ QueueUrl: TEST_ENV.WAKE_QUEUE_URL, MessageGroupId: 'dispatch' });
    return JSON.parse(c.args[0].input.MessageBody as string);
  });
const values = (input: UpdateCommandInput) => Object.values(input.ExpressionAttributeValues ?? {});

function stored(record: QueryRecord) {
  ddb.on(GetCommand).resolves({ Item: toLedgerItem(record) });
}

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  sqs.reset();
  ddb.on(UpdateCommand).resolves({});
  sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
});

describe('cancel-query handler', () => {
  it.each(['QUEUED', 'WAITING_FOR_SLOT', 'DEFERRED'] as const)(
    'cancels a %s query in the ledger, conditional on it not having started, and takes it out of its line',
    async (status) => {
      // Prepare
      stored(queryRecord('q1', { status }));
      // Act
      const response = await cancel();
      // Assess
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({
        status: 'CANCELLED',
        previousStatus: status,
        cancelledBy: CALLER_ARN,
      });
      const [update] = ledgerUpdates();
      expect(values(update)).toEqual(
        expect.arrayContaining(['CANCELLED', CALLER_ARN, 'QUEUED', 'WAITING_FOR_SLOT', 'DEFERRED']),
      );
      expect(update.ConditionExpression).toContain('#currentStatus IN');
      // The dispatcher ends the execution waiting in line (it fails its task token): nothing is stopped here.
      expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
      expect(wakes()).toEqual([
        {
          type: 'leave',
          why: 'cancelled',
          queryId: 'q1',
          className: 'fast',
          submittedAt: '2026-01-01T12:00:00.000Z',
        },
      ]);
    },
  );

  it('names the waiting execution in the leave event, so a slot given to it meanwhile is given back', async () => {
    stored(queryRecord('q1', { status: 'WAITING_FOR_SLOT', attempts: 1, executionArn: EXECUTION }));
    expect((await cancel()).statusCode).toBe(200);
    expect(wakes()).toEqual([
      expect.objectContaining({ type: 'leave', why: 'cancelled', executionArn: EXECUTION }),
    ]);
  });

  it('cancels a RUNNING query: ledger CANCELLED with who and when, execution stopped, slot freed', async () => {
    // Prepare
    stored(queryRecord('q1', { status: 'RUNNING', attempts: 1, executionArn: EXECUTION }));
    // Act
    const response = await cancel();
    // Assess
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body);
    expect(body).toMatchObject({ status: 'CANCELLED', previousStatus: 'RUNNING', cancelledBy: CALLER_ARN });
    expect(Date.parse(body.finishedAt)).not.toBeNaN();
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: EXECUTION,
      error: 'athena-wlm.Cancelled',
    });
    expect(values(ledgerUpdates()[0])).toEqual(expect.arrayContaining(['CANCELLED', 'RUNNING']));
    // A stopped execution never reaches ReleaseSlot: the cancel gives its slot back through the dispatcher.
    expect(wakes()).toEqual([{ type: 'release', queryId: 'q1', executionArn: EXECUTION }]);
    // The ledger is written before the stop, so the ABORTED event that follows finds CANCELLED.
    expect(ddb.commandCalls(UpdateCommand)[0].calledBefore(sfn.commandCalls(StopExecutionCommand)[0])).toBe(
      true,
    );
  });

  it('keeps the slot when the execution cannot be stopped yet, and says the reconciler will stop it', async () => {
    stored(queryRecord('q1', { status: 'RUNNING', attempts: 1, executionArn: EXECUTION }));
    sfn.on(StopExecutionCommand).rejects(new Error('Rate exceeded'));
    const response = await cancel();
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({
      status: 'CANCELLED',
      note: expect.stringContaining('the slot reconciler stops it within a minute'),
    });
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
  });

  it('answers 409 for a query that already ended, and changes nothing', async () => {
    stored(queryRecord('q1', { status: 'SUCCEEDED', finishedAt: '2026-01-01T12:01:00.000Z' }));
    const response = await cancel();
    expect(response.statusCode).toBe(409);
    expect(JSON.parse(response.body).message).toBe(
      'Query q1 already SUCCEEDED at 2026-01-01T12:01:00.000Z, nothing to cancel.',
    );
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
  });

  it('looks again when the query started between the read and the write, and stops it', async () => {
    // Prepare
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: storedItem('q1', { status: 'QUEUED' }) })
      .resolves({ Item: storedItem('q1', { status: 'RUNNING', attempts: 1, executionArn: EXECUTION }) });
    ddb
      .on(UpdateCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }))
      .resolves({});
    // Act
    const response = await cancel();
    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).previousStatus).toBe('RUNNING');
    expect(sfn).toHaveReceivedCommandTimes(StopExecutionCommand, 1);
    expect(wakes()).toEqual([{ type: 'release', queryId: 'q1', executionArn: EXECUTION }]);
  });

  it('answers 404 for an unknown query', async () => {
    ddb.on(GetCommand).resolves({});
    expect((await cancel()).statusCode).toBe(404);
  });
});
