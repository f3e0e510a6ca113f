import { DescribeExecutionCommand, type SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { ExecutionControl, ExecutionStatus } from '../../core/ports';

/** Step Functions' limit on a StopExecution cause. */
const MAX_CAUSE = 32_768;

const isNotFound = (error: unknown) => (error as { name?: string }).name === 'ExecutionDoesNotExist';

/**
 * Looks at and stops `run-query` executions. Stopping an execution whose StartQuery task is running
 * makes Step Functions stop the Athena query too (the `.sync` integration).
 */
export class SfnExecutionControl implements ExecutionControl {
  constructor(private readonly client: SFNClient) {}

  async status(executionArn: string): Promise<ExecutionStatus> {
    try {
      const out = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      return (out.status ?? 'NOT_FOUND') as ExecutionStatus;
    } catch (error) {
      if (isNotFound(error)) return 'NOT_FOUND';
      throw error;
    }
  }

  async stop(executionArn: string, cause: string, error = 'athena-wlm.Stopped'): Promise<void> {
    try {
      await this.client.send(
        new StopExecutionCommand({
          executionArn,
          error,
          cause: cause.slice(0, MAX_CAUSE),
        }),
      );
    } catch (failure) {
      if (isNotFound(failure)) return;
      // A closed execution has nothing to stop; anything else while it still runs is a real failure.
      if ((await this.status(executionArn)) !== 'RUNNING') return;
      throw failure;
    }
  }
}
