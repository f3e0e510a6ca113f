import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { buildRunQueryInput } from '../../contracts/execution-input';
import { SfnExecutionControl } from '../../functions/adapters/aws/sfn-execution-control';
import { SfnExecutionStarter } from '../../functions/adapters/aws/sfn-execution-starter';

const sfn = mockClient(SFNClient);
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:run-query';
const ARN = 'arn:aws:states:us-east-1:123456789012:execution:run-query:q1';
const input = buildRunQueryInput(
  { queryId: 'q1', className: 'fast', query: 'SELECT 1', database: 'default', catalog: 'AwsDataCatalog' },
  1,
  'athena-wlm-fast',
  {
    submittedAt: '2026-01-01T00:00:00.000Z',
    waitUntil: '2026-01-01T03:00:00.000Z',
    queueWaitSeconds: 10_800,
  },
);

beforeEach(() => sfn.reset());

describe('SfnExecutionStarter', () => {
  it('starts an execution named for the attempt with the input as JSON', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: ARN, startDate: new Date() });
    // Act
    const result = await new SfnExecutionStarter(new SFNClient({}), MACHINE).start('q1', input);
    // Assess
    expect(result).toEqual({ status: 'started', executionArn: ARN });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: MACHINE,
      name: 'q1',
      input: JSON.stringify(input),
    });
  });

  it('answers already-exists for ExecutionAlreadyExists (this attempt was handled)', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    await expect(new SfnExecutionStarter(new SFNClient({}), MACHINE).start('q1', input)).resolves.toEqual({
      status: 'already-exists',
    });
  });

  it('lets other errors through so the message is retried', async () => {
    sfn.on(StartExecutionCommand).rejects(new Error('ThrottlingException'));
    await expect(new SfnExecutionStarter(new SFNClient({}), MACHINE).start('q1', input)).rejects.toThrow(
      'Throttling',
    );
  });
});

describe('SfnExecutionControl', () => {
  it('reads an execution status, NOT_FOUND for an unknown execution', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'TIMED_OUT' } as never)
      .rejectsOnce(new ExecutionDoesNotExist({ message: 'nope', $metadata: {} }));
    const control = new SfnExecutionControl(new SFNClient({}));
    await expect(control.status(ARN)).resolves.toBe('TIMED_OUT');
    await expect(control.status(ARN)).resolves.toBe('NOT_FOUND');
  });

  it('stops an execution with the error name and cause', async () => {
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
    await new SfnExecutionControl(new SFNClient({})).stop(ARN, 'Cancelled by alice', 'athena-wlm.Cancelled');
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: ARN,
      error: 'athena-wlm.Cancelled',
      cause: 'Cancelled by alice',
    });
  });

  it('treats stopping an execution that already closed as done, but not one that still runs', async () => {
    // Prepare
    sfn.on(StopExecutionCommand).rejects(new Error('InvalidState'));
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'SUCCEEDED' } as never)
      .resolvesOnce({ status: 'RUNNING' } as never);
    const control = new SfnExecutionControl(new SFNClient({}));
    // Act / Assess
    await expect(control.stop(ARN, 'why')).resolves.toBeUndefined();
    await expect(control.stop(ARN, 'why')).rejects.toThrow('InvalidState');
  });
});
