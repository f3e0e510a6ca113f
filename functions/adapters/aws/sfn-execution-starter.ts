import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { RunQueryInput } from '../../../contracts/execution-input';
import type { ExecutionStarter, StartExecutionResult } from '../../core/ports';

/**
 * Starts `run-query` executions with a deterministic name. Step Functions makes the hop idempotent:
 * the same name and input while the first is open returns the first execution; otherwise it answers
 * ExecutionAlreadyExists, which means this attempt was already handled.
 */
export class SfnExecutionStarter implements ExecutionStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(name: string, input: RunQueryInput): Promise<StartExecutionResult> {
    try {
      const out = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      if (!out.executionArn) throw new Error(`StartExecution for ${name} returned no executionArn`);
      return { status: 'started', executionArn: out.executionArn };
    } catch (error) {
      if ((error as { name?: string }).name === 'ExecutionAlreadyExists') return { status: 'already-exists' };
      throw error;
    }
  }
}
