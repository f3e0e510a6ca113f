import {
  InvalidOutput,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { SfnTaskTokens } from '../../functions/adapters/aws/sfn-task-tokens';

const sfn = mockClient(SFNClient);
const tokens = () => new SfnTaskTokens(new SFNClient({}));

beforeEach(() => sfn.reset());

describe('SfnTaskTokens', () => {
  it('completes a waiting task with its output as JSON', async () => {
    // Prepare
    sfn.on(SendTaskSuccessCommand).resolves({});
    // Act
    const result = await tokens().succeed('tok', {
      admittedAt: '2026-01-01T00:00:00.000Z',
      className: 'fast',
    });
    // Assess
    expect(result).toBe('ok');
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: 'tok',
      output: JSON.stringify({ admittedAt: '2026-01-01T00:00:00.000Z', className: 'fast' }),
    });
  });

  it('fails a waiting task with the error name its Catch matches, the cause cut to Step Functions’ limit', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});
    await expect(tokens().fail('tok', 'athena-wlm.Cancelled', 'x'.repeat(40_000))).resolves.toBe('ok');
    const input = sfn.commandCalls(SendTaskFailureCommand)[0].args[0].input;
    expect(input).toMatchObject({ taskToken: 'tok', error: 'athena-wlm.Cancelled' });
    // SendTaskFailure: cause is at most 32,768 characters (API_SendTaskFailure).
    expect(input.cause).toHaveLength(32_768);
  });

  // API_SendTaskSuccess / API_SendTaskFailure, Errors: a token whose task is over (the execution was
  // stopped or timed out, or the token was completed before) is TaskTimedOut, TaskDoesNotExist or
  // InvalidToken. Nobody waits on it any more: the dispatcher gives the slot back and moves on.
  it.each([
    ['TaskTimedOut', () => new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })],
    ['TaskDoesNotExist', () => new TaskDoesNotExist({ message: 'Task does not exist', $metadata: {} })],
    ['InvalidToken', () => new InvalidToken({ message: 'Invalid Token', $metadata: {} })],
  ])('answers gone for %s, on success and on failure', async (_name, error) => {
    sfn.on(SendTaskSuccessCommand).rejects(error());
    sfn.on(SendTaskFailureCommand).rejects(error());
    await expect(tokens().succeed('tok', {})).resolves.toBe('gone');
    await expect(tokens().fail('tok', 'athena-wlm.Cancelled', 'why')).resolves.toBe('gone');
  });

  it('lets every other error through, so the pass is retried rather than a slot lost', async () => {
    sfn.on(SendTaskSuccessCommand).rejectsOnce(new InvalidOutput({ message: 'bad output', $metadata: {} }));
    sfn
      .on(SendTaskFailureCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(tokens().succeed('tok', {})).rejects.toThrow('bad output');
    await expect(tokens().fail('tok', 'e', 'c')).rejects.toThrow('Rate exceeded');
  });
});
