import './support/aws-env';
import { GetServiceQuotaCommand } from '@aws-sdk/client-service-quotas';
import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-jest';
import type { QueryRecord } from '../../functions/core/query-record';
import { TEST_ENV } from './support/aws-env';
import { executionArn as arn, dispatcherHarness } from './support/dispatcher-harness';

/*
 * A quota read from Service Quotas (2 here), no headroom; etl is guaranteed one slot, adhoc borrows
 * idle ones and is pre-empted for etl. The start rate never binds here (dispatcher-rate.test.ts).
 */
const h = dispatcherHarness(
  {
    quota: { activeDmlQueries: 'service-quotas', headroom: 0 },
    defaultClass: 'adhoc',
    classes: {
      etl: { guaranteedSlots: 1, maxSlots: 2, maxReclaimSeconds: 60 },
      adhoc: { guaranteedSlots: 0, maxSlots: 2, preemptible: true },
    },
    admission: { startsPerSecond: 1000 },
  },
  2,
);
const { sfn, ddb, serviceQuotas } = h;

describe('dispatcher handler', () => {
  it('starts the oldest queries that fit the live quota by completing their task tokens, and says why the rest wait', async () => {
    // Prepare: three adhoc queries enter, in an order that is not their submission order.
    const events = [
      await h.entering('a3', 'adhoc', '2026-01-01T00:00:03.000Z'),
      await h.entering('a1', 'adhoc', '2026-01-01T00:00:01.000Z'),
      await h.entering('a2', 'adhoc', '2026-01-01T00:00:02.000Z'),
    ];
    // Act
    await h.wakeUp(...events);
    // Assess: capacity 2 from Service Quotas; first come, first served.
    expect(serviceQuotas).toHaveReceivedCommandWith(GetServiceQuotaCommand, { QuotaCode: 'L-FC5F6546' });
    expect(h.admittedTokens()).toEqual(['token-a1', 'token-a2']);
    expect(
      JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input.output as string),
    ).toMatchObject({
      className: 'adhoc',
      admittedAt: expect.any(String),
    });
    expect((await h.dispatch.holders()).map((held) => [held.queryId, held.executionArn])).toEqual([
      ['a1', arn('a1')],
      ['a2', arn('a2')],
    ]);
    expect((await h.dispatch.heads('adhoc', 10)).map((e) => e.queryId)).toEqual(['a3']);
    // The waiting record says why it waits, and which execution waits.
    expect(await h.ledger.get('a3')).toMatchObject({
      status: 'WAITING_FOR_SLOT',
      executionArn: arn('a3'),
      reason: expect.stringContaining('adhoc is at its cap of 2 running queries'),
    });
    expect((await h.dispatch.waitStatus()).adhoc?.factor).toBe('class-cap');
    // An admitted query's record is its execution's to move (MarkRunning), not the dispatcher's.
    expect((await h.ledger.get('a1'))?.status).toBe('QUEUED');
  });

  it('gives a released slot to the next query in line in the pass that applies the release', async () => {
    await h.wakeUp(
      await h.entering('a1', 'adhoc', '2026-01-01T00:00:01.000Z'),
      await h.entering('a2', 'adhoc', '2026-01-01T00:00:02.000Z'),
      await h.entering('a3', 'adhoc', '2026-01-01T00:00:03.000Z'),
    );
    sfn.resetHistory();
    // Act: a release naming another execution of a2 (an older attempt) frees nothing; then a1's
    // execution gives its slot back (run-query's ReleaseSlot).
    await h.wakeUp({ type: 'release', queryId: 'a2', executionArn: arn('a2-old') });
    expect(h.admittedTokens()).toEqual([]);
    await h.wakeUp({ type: 'release', queryId: 'a1', executionArn: arn('a1') });
    // Assess
    expect(h.admittedTokens()).toEqual(['token-a3']);
    expect((await h.dispatch.holders()).map((held) => held.queryId).sort()).toEqual(['a2', 'a3']);
    expect(await h.dispatch.heads('adhoc', 10)).toEqual([]);
    expect(await h.dispatch.waitStatus()).toEqual({});
  });

  it('pre-empts a borrower when the guaranteed class arrives: ledger QUEUED first, then StopExecution, then its next attempt', async () => {
    // Prepare: adhoc borrowed both slots (etl's guarantee was idle).
    await h.wakeUp(
      await h.entering('a1', 'adhoc', '2026-01-01T00:00:01.000Z'),
      await h.entering('a2', 'adhoc', '2026-01-01T00:00:02.000Z'),
    );
    for (const id of ['a1', 'a2'])
      await h.ledger.update(id, { status: 'RUNNING', attempts: 1, executionArn: arn(id) }, ['QUEUED']);
    sfn.resetHistory();
    // Act: etl enters its line; both slots are taken.
    await h.wakeUp(await h.entering('e1', 'etl', '2026-01-01T00:01:00.000Z'));
    // Assess: one borrower is stopped for etl, which starts at once.
    expect(sfn).toHaveReceivedCommandTimes(StopExecutionCommand, 1);
    const stop = sfn.commandCalls(StopExecutionCommand)[0].args[0].input;
    expect(stop.error).toBe('athena-wlm.Preempted');
    const victim = stop.executionArn === arn('a1') ? 'a1' : 'a2';
    const record = (await h.ledger.get(victim)) as QueryRecord;
    expect(record).toMatchObject({
      status: 'QUEUED',
      preemptions: 1,
      reason: expect.stringContaining('Pre-empted'),
    });
    // Its next attempt starts under the same state machine, named for attempt 2, and joins its line again.
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: TEST_ENV.STATE_MACHINE_ARN,
      name: `${victim}__r1`,
    });
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input as string);
    expect(input).toMatchObject({ queryId: victim, attempt: 2, submittedAt: record.submittedAt });
    expect(h.admittedTokens()).toEqual(['token-e1']);
    expect((await h.dispatch.holders()).map((held) => held.queryId).sort()).toEqual(
      ['e1', victim === 'a1' ? 'a2' : 'a1'].sort(),
    );
    // The order of the side effects is what keeps the victim's record right.
    const marked = ddb
      .commandCalls(UpdateCommand)
      .find(
        (c) =>
          c.args[0].input.Key?.queryId === victim && c.args[0].input.TableName === TEST_ENV.LEDGER_TABLE_NAME,
      );
    expect(marked?.calledBefore(sfn.commandCalls(StopExecutionCommand)[0])).toBe(true);
    expect(
      sfn.commandCalls(StopExecutionCommand)[0].calledBefore(sfn.commandCalls(StartExecutionCommand)[0]),
    ).toBe(true);
  });

  it('fails the token of a query cancelled in line, so its execution ends Skipped', async () => {
    // Prepare: a1 and a2 hold the slots, a3 waits.
    await h.wakeUp(
      await h.entering('a1', 'adhoc', '2026-01-01T00:00:01.000Z'),
      await h.entering('a2', 'adhoc', '2026-01-01T00:00:02.000Z'),
      await h.entering('a3', 'adhoc', '2026-01-01T00:00:03.000Z'),
    );
    // Act
    await h.wakeUp({
      type: 'leave',
      why: 'cancelled',
      queryId: 'a3',
      className: 'adhoc',
      submittedAt: '2026-01-01T00:00:03.000Z',
      executionArn: arn('a3'),
    });
    // Assess
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: 'token-a3',
      error: 'athena-wlm.Cancelled',
    });
    expect(await h.dispatch.heads('adhoc', 10)).toEqual([]);
  });

  it('gives the slot back at once when the execution no longer waits on its token (TaskTimedOut)', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    await h.wakeUp(await h.entering('a1', 'adhoc', '2026-01-01T00:00:01.000Z'));
    expect(await h.dispatch.holders()).toEqual([]);
    expect(await h.dispatch.heads('adhoc', 10)).toEqual([]);
  });

  it('on a sweep, applies the events SQS set aside, each alone, and removes those applied', async () => {
    const failedUrl = TEST_ENV.WAKE_FAILED_QUEUE_URL;
    const a1 = await h.entering('a1', 'adhoc', '2026-01-01T00:00:01.000Z');
    h.sqs.on(ReceiveMessageCommand, { QueueUrl: failedUrl }).resolves({
      Messages: [
        { Body: JSON.stringify(a1), ReceiptHandle: 'r-a1' },
        { Body: 'not JSON', ReceiptHandle: 'r-junk' },
      ],
    });
    h.sqs.on(DeleteMessageCommand).resolves({});
    // Events that are not sweeps leave the set-aside queue alone.
    await h.wakeUp({ type: 'release', queryId: 'x', executionArn: arn('x') });
    expect(h.sqs).not.toHaveReceivedCommand(ReceiveMessageCommand);

    await h.wakeUp({ type: 'sweep', why: 'schedule' });
    expect(h.sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, { QueueUrl: failedUrl });
    expect(h.admittedTokens()).toEqual(['token-a1']);
    // A body that is not an event applies as nothing: it is removed too.
    expect(h.sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: failedUrl, ReceiptHandle: 'r-a1' },
      { QueueUrl: failedUrl, ReceiptHandle: 'r-junk' },
    ]);
  });

  it('leaves a set-aside event that fails again where it is, and still applies the others', async () => {
    const failedUrl = TEST_ENV.WAKE_FAILED_QUEUE_URL;
    const a1 = await h.entering('a1', 'adhoc', '2026-01-01T00:00:01.000Z');
    const a2 = await h.entering('a2', 'adhoc', '2026-01-01T00:00:02.000Z');
    h.sqs.on(ReceiveMessageCommand, { QueueUrl: failedUrl }).resolves({
      Messages: [
        { Body: JSON.stringify(a1), ReceiptHandle: 'r-a1' },
        { Body: JSON.stringify(a2), ReceiptHandle: 'r-a2' },
      ],
    });
    h.sqs.on(DeleteMessageCommand).resolves({});
    // a1's join keeps failing (its line item cannot be written); a2's does not.
    h.ddb.on(PutCommand, { Item: { queryId: 'a1' } }).rejects(new Error('ValidationException'));
    await h.wakeUp({ type: 'sweep', why: 'schedule' });
    expect(h.sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input.ReceiptHandle)).toEqual([
      'r-a2',
    ]);
    expect(h.admittedTokens()).toEqual(['token-a2']);
  });

  it('drops what is not a wake event and still runs the pass', async () => {
    const a1 = await h.entering('a1', 'adhoc', '2026-01-01T00:00:01.000Z');
    await expect(h.wakeUp('not JSON', JSON.stringify({ type: 'nonsense' }), a1)).resolves.toBeUndefined();
    expect(h.admittedTokens()).toEqual(['token-a1']);
  });
});
