/**
 * A start that cannot serve (its port is taken) must fail before it touches the data dir: what a
 * previous process left running (a run-query execution, its Athena query) resumes only on a start that
 * will serve, never on one that stops right after.
 */
import { createServer, type Server } from 'node:net';
import { PortInUseError } from '../../../local/http/server';
import { startLocalRuntime } from '../../../local/runtime';
import { athenaExecutions, removeDir, runtimeRows, submit, tempDir, waitForStatus } from './support';

const freePort = async (): Promise<{ port: number; blocker: Server }> => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  return { port: (blocker.address() as { port: number }).port, blocker };
};

const executionRuns = (dataDir: string) =>
  runtimeRows<{ status: string; runs: number }>(dataDir, 'SELECT status, runs FROM executions');
const restarts = (dataDir: string) =>
  runtimeRows<{ n: number }>(
    dataDir,
    "SELECT count(*) AS n FROM execution_events WHERE type = 'ExecutionRestarted'",
  )[0].n;

it('on a port in use, resumes nothing a previous process left running', async () => {
  const dataDir = tempDir('start-order');
  try {
    // A query left running: its Athena run sits in Athena's queue for a minute, then the process stops.
    const first = await startLocalRuntime({
      dataDir,
      port: 0,
      sampleData: false,
      retryPauseMs: 0,
      latency: { queueMs: 60_000, planningMs: 0 },
    });
    const queryId = await submit(first.url, { query: 'SELECT 1 AS one' });
    await waitForStatus(first.url, queryId, ['RUNNING']);
    await first.close();
    expect(executionRuns(dataDir)).toEqual([{ status: 'RUNNING', runs: 1 }]);
    expect(athenaExecutions(dataDir).map((e) => e.resumes)).toEqual([0]);

    const { port, blocker } = await freePort();
    try {
      await expect(startLocalRuntime({ dataDir, port, sampleData: false })).rejects.toBeInstanceOf(
        PortInUseError,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }

    expect(executionRuns(dataDir)).toEqual([{ status: 'RUNNING', runs: 1 }]);
    expect(restarts(dataDir)).toBe(0);
    expect(athenaExecutions(dataDir).map((e) => e.resumes)).toEqual([0]);

    // The same start on a free port resumes both, as it should.
    const second = await startLocalRuntime({
      dataDir,
      port,
      sampleData: false,
      latency: { queueMs: 60_000, planningMs: 0 },
    });
    await second.close();
    expect(executionRuns(dataDir)).toEqual([{ status: 'RUNNING', runs: 2 }]);
    expect(restarts(dataDir)).toBe(1);
    expect(athenaExecutions(dataDir).map((e) => e.resumes)).toEqual([1]);
  } finally {
    removeDir(dataDir);
  }
}, 60_000);
