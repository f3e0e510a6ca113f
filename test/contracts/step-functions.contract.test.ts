import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandInput,
  SendTaskFailureCommand,
  type SendTaskFailureCommandInput,
  SendTaskSuccessCommand,
  type SendTaskSuccessCommandInput,
  SFNClient,
  StartExecutionCommand,
  type StartExecutionCommandInput,
  StopExecutionCommand,
  type StopExecutionCommandInput,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import type { RunQueryInput } from '../../contracts/execution-input';
import { SfnExecutionControl } from '../../functions/adapters/aws/sfn-execution-control';
import { SfnExecutionStarter } from '../../functions/adapters/aws/sfn-execution-starter';
import { SfnTaskTokens } from '../../functions/adapters/aws/sfn-task-tokens';
import type { ExecutionControl, ExecutionStarter, TaskTokens } from '../../functions/core/ports';
import { newQueryRecord } from '../../functions/core/query-record';
import { runQueryInputFor } from '../../functions/core/run-query-input';
import {
  executionArnOf,
  executionControlOf,
  executionStarterOf,
  type LocalStepFunctions,
  RUN_QUERY_STATE_MACHINE_ARN,
} from '../../local/stepfunctions';
import { LocalTaskTokens } from '../../local/stepfunctions/local-task-tokens';
import { FakeAthena } from '../local/stepfunctions/fake-athena';
import { localRuntime } from '../local/stepfunctions/harness';
import { RecordingExecutions } from '../support/in-memory';

/**
 * The contracts of the ports Step Functions serves (ExecutionStarter, ExecutionControl, TaskTokens),
 * run against each implementation: the local Step Functions (aws-local-stepfunctions running
 * run-query.asl.json), and the AWS adapters on a mocked SFN client answered by that same local service
 * with the errors the Step Functions API reference gives (ExecutionAlreadyExists, ExecutionDoesNotExist,
 * TaskTimedOut), so each adapter's requests and its reading of the answers are exercised together.
 */

const sfn = mockClient(SFNClient);

/** Step Functions' side of the calls, played by the local service and its task tokens. */
function serveSfn(service: LocalStepFunctions, tokens: LocalTaskTokens) {
  const closedTask = () =>
    Object.assign(new Error('Task Timed Out: the task has timed out or was already closed'), {
      name: 'TaskTimedOut',
    });
  sfn.reset();
  sfn.on(StartExecutionCommand).callsFake((input: StartExecutionCommandInput) => {
    expect(input.stateMachineArn).toBe(RUN_QUERY_STATE_MACHINE_ARN);
    const { executionArn, startDate } = service.startExecution({
      name: input.name ?? '',
      input: input.input,
    });
    return { executionArn, startDate };
  });
  sfn.on(DescribeExecutionCommand).callsFake((input: DescribeExecutionCommandInput) => {
    const { status, executionArn } = service.describeExecution(input.executionArn ?? '');
    return { status, executionArn };
  });
  sfn
    .on(StopExecutionCommand)
    .callsFake(async (input: StopExecutionCommandInput) =>
      service.stopExecution(input.executionArn ?? '', { error: input.error, cause: input.cause }),
    );
  sfn.on(SendTaskSuccessCommand).callsFake(async (input: SendTaskSuccessCommandInput) => {
    if ((await tokens.succeed(input.taskToken ?? '', JSON.parse(input.output ?? 'null'))) === 'gone')
      throw closedTask();
    return {};
  });
  sfn.on(SendTaskFailureCommand).callsFake(async (input: SendTaskFailureCommandInput) => {
    if ((await tokens.fail(input.taskToken ?? '', input.error ?? '', input.cause ?? '')) === 'gone')
      throw closedTask();
    return {};
  });
  return new SFNClient({ region: 'us-east-1' });
}

afterAll(() => sfn.restore());

describe('Step Functions ports', () => {
  let runtime: Awaited<ReturnType<typeof localRuntime>>;
  beforeAll(async () => {
    // Every query hangs in Athena: an admitted execution stays RUNNING until stopped.
    runtime = await localRuntime(new FakeAthena(() => ({ kind: 'hang' })));
  });
  afterAll(() => runtime.close());

  let next = 0;
  /** The input the starter would give a new query's first attempt, with its ledger record. */
  async function newQuery(): Promise<{ name: string; input: RunQueryInput }> {
    const name = `contract-${++next}`;
    const now = new Date();
    const record = newQueryRecord(
      {
        className: 'fast',
        queryId: name,
        attempt: 1,
        submittedAt: now.getTime(),
        body: { query: 'SELECT 1' },
      },
      now,
    );
    await runtime.parts.ledger.create(record);
    return { name, input: runQueryInputFor(record, 1, runtime.config, now) };
  }

  interface Subject {
    readonly starter: ExecutionStarter;
    /** Ends the execution of `name` (a stop, or what the double is told). */
    readonly end: (name: string, executionArn: string) => Promise<void>;
    readonly control?: ExecutionControl;
  }
  const local = (): Subject => {
    const control = executionControlOf(runtime.parts.sfn);
    return {
      starter: executionStarterOf(runtime.parts.sfn),
      control,
      end: (_name, arn) => control.stop(arn, 'the test is over'),
    };
  };
  const onMockedSfn = (): Subject => {
    const client = serveSfn(runtime.parts.sfn, runtime.parts.tokens);
    const control = new SfnExecutionControl(client);
    return {
      starter: new SfnExecutionStarter(client, RUN_QUERY_STATE_MACHINE_ARN),
      control,
      end: (_name, arn) => control.stop(arn, 'the test is over'),
    };
  };
  const recording = (): Subject => {
    const starter = new RecordingExecutions();
    return {
      starter,
      end: async (name) => {
        starter.closedNames.add(name);
      },
    };
  };

  describe.each([
    ['the local Step Functions', local],
    ['the Step Functions adapter on mocked SFN', onMockedSfn],
    ['the recording test double', recording],
  ])('ExecutionStarter contract: %s', (_name, make) => {
    it('starts one execution per name: the same input again is the same execution; another, or after it ended, is refused', async () => {
      const { starter, end } = make();
      const { name, input } = await newQuery();
      const started = await starter.start(name, input);
      expect(started).toEqual({
        status: 'started',
        executionArn: expect.stringMatching(new RegExp(`:${name}$`)),
      });
      expect(await starter.start(name, input)).toEqual(started);
      expect(await starter.start(name, { ...input, attempt: 2 })).toEqual({ status: 'already-exists' });
      if (started.status === 'started') await end(name, started.executionArn);
      expect(await starter.start(name, input)).toEqual({ status: 'already-exists' });
    });
  });

  describe.each([
    ['the local Step Functions', local],
    ['the Step Functions adapter on mocked SFN', onMockedSfn],
  ])('ExecutionControl contract: %s', (_name, make) => {
    let starter: ExecutionStarter;
    let control: ExecutionControl;
    beforeEach(() => {
      const subject = make();
      starter = subject.starter;
      control = subject.control as ExecutionControl;
    });

    it('reports a running execution RUNNING, stops it, and a stop again is no error', async () => {
      const { name, input } = await newQuery();
      const started = await starter.start(name, input);
      if (started.status !== 'started') throw new Error('not started');
      expect(await control.status(started.executionArn)).toBe('RUNNING');
      await control.stop(started.executionArn, 'cancelled by the test', 'athena-wlm.Cancelled');
      expect(await control.status(started.executionArn)).toBe('ABORTED');
      await expect(control.stop(started.executionArn, 'again')).resolves.toBeUndefined();
    });

    it('knows no execution of an unknown ARN, and stopping one is no error', async () => {
      const unknown = executionArnOf('never-started');
      expect(await control.status(unknown)).toBe('NOT_FOUND');
      await expect(control.stop(unknown, 'nothing to stop')).resolves.toBeUndefined();
    });
  });

  describe.each([
    ['the local task tokens', (tokens: LocalTaskTokens): TaskTokens => tokens],
    [
      'the Step Functions adapter on mocked SFN',
      (tokens: LocalTaskTokens): TaskTokens => new SfnTaskTokens(serveSfn(runtime.parts.sfn, tokens)),
    ],
  ])('TaskTokens contract: %s', (_name, make) => {
    let waiting: LocalTaskTokens;
    let tokens: TaskTokens;
    beforeEach(() => {
      waiting = new LocalTaskTokens();
      tokens = make(waiting);
    });
    /** A task waiting on a new token, as run-query's EnterLine does. */
    const waitOn = () => {
      const token = waiting.issue('arn:execution:q1');
      const result = waiting.wait(token, 'arn:execution:q1', new AbortController().signal);
      return { token, result };
    };

    it('completes a waiting task once with its output; the token is gone after', async () => {
      const { token, result } = waitOn();
      expect(await tokens.succeed(token, { admittedAt: '2026-01-01T00:00:00.000Z', className: 'fast' })).toBe(
        'ok',
      );
      await expect(result).resolves.toEqual({ admittedAt: '2026-01-01T00:00:00.000Z', className: 'fast' });
      expect(await tokens.succeed(token, {})).toBe('gone');
      expect(await tokens.fail(token, 'athena-wlm.Cancelled', 'late')).toBe('gone');
    });

    it('fails a waiting task with the error name and cause the execution then reports', async () => {
      const { token, result } = waitOn();
      expect(await tokens.fail(token, 'athena-wlm.Cancelled', 'cancelled by its submitter')).toBe('ok');
      await expect(result).rejects.toMatchObject({
        name: 'athena-wlm.Cancelled',
        message: 'cancelled by its submitter',
      });
    });

    it('answers gone for a token whose task is over or no one waits on', async () => {
      const stopped = new AbortController();
      const token = waiting.issue('arn:execution:q2');
      const result = waiting.wait(token, 'arn:execution:q2', stopped.signal);
      stopped.abort();
      await expect(result).rejects.toThrow();
      expect(await tokens.succeed(token, {})).toBe('gone');
      expect(await tokens.succeed(waiting.issue('arn:execution:q3'), {})).toBe('gone');
    });
  });
});
