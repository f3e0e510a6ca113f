/**
 * The threaded runtime (`npm start`'s): the edge thread answers submissions and result downloads itself
 * and forwards every other route to the back end thread. Submissions must not wait for the back end.
 */
import { join } from 'node:path';
import { parseConfig } from '../../../contracts/config';
import { TEST_FAULTS_ENV } from '../../../local/test-faults';
import { startThreadedRuntime, type ThreadedRuntime } from '../../../local/threaded-runtime';
import { http, readAllResults, removeDir, runtimeRows, submit, tempDir, waitForEnd } from './support';

const CONFIG = parseConfig(
  {
    quota: { activeDmlQueries: 4, headroom: 0 },
    defaultClass: 'work',
    classes: { work: { guaranteedSlots: 0, maxSlots: 2 } },
  },
  'test config',
);

async function start(dataDir: string, faults?: object): Promise<ThreadedRuntime> {
  if (faults) process.env[TEST_FAULTS_ENV] = JSON.stringify(faults);
  try {
    return await startThreadedRuntime({
      dataDir,
      port: 0,
      config: CONFIG,
      sampleData: false,
      retryPauseMs: 0,
    });
  } finally {
    delete process.env[TEST_FAULTS_ENV];
  }
}

describe('the threaded runtime', () => {
  let dir: string;

  beforeEach(() => {
    dir = tempDir('threaded');
  });
  afterEach(() => removeDir(dir));

  it('serves the whole API: submissions and downloads on the edge, the rest from the back end', async () => {
    const runtime = await start(join(dir, 'data'));
    try {
      const { url } = runtime;
      const queryId = await submit(url, { queryId: 'threaded-1', query: 'SELECT 6 * 7 AS answer' });
      const view = await waitForEnd(url, queryId);
      expect(view.status).toBe('SUCCEEDED');
      expect((await readAllResults(url, queryId)).rows).toEqual([['42']]);
      const csv = await fetch(`${url}/queries/${queryId}/results.csv`);
      expect([csv.status, await csv.text()]).toEqual([200, '"answer"\n"42"\n']);

      // A reused id is refused at the edge, and the back end's routes answer as in one thread.
      expect((await http('POST', `${url}/athena/query`, { queryId, query: 'SELECT 1' })).status).toBe(409);
      expect((await http('GET', `${url}/workgroups`)).status).toBe(200);
      expect((await http('GET', `${url}/openapi.json`)).status).toBe(200);
      expect(
        (
          await http('GET', `${url}/console/api/executions`, undefined, {
            'x-athena-wlm-principal': 'someone',
          })
        ).status,
      ).toBe(403);
      const missing = await http('GET', `${url}/no/such/route`);
      expect([missing.status, missing.contentType]).toEqual([404, 'application/json; charset=utf-8']);
      expect((await http('PUT', `${url}/queries/${queryId}`, {})).status).toBe(405);
      expect((await http('DELETE', `${url}/queries/${queryId}`)).status).toBe(409);
    } finally {
      await runtime.close();
    }
  }, 60_000);

  it('answers submissions while the back end thread is blocked, and runs them once it is back', async () => {
    const dataDir = join(dir, 'data');
    const runtime = await start(dataDir, { stallBackendMs: 3000 });
    try {
      const { url } = runtime;
      const answered: string[] = [];
      // A read goes to the back end, which is blocked; the submission is the edge's alone.
      const read = http('GET', `${url}/workgroups`).then((answer) => {
        answered.push(`read ${answer.status}`);
      });
      const queryId = await submit(url, { queryId: 'while-blocked', query: 'SELECT 1 AS one' });
      answered.push('submitted');
      const stored = runtimeRows<{ records: number; messages: number }>(
        dataDir,
        `SELECT (SELECT count(*) FROM documents WHERE json_extract(doc, '$.queryId') = 'while-blocked') AS records,
                (SELECT count(*) FROM queue_messages WHERE queue = 'queries') AS messages`,
      );
      expect(stored).toEqual([{ records: 1, messages: 1 }]);
      await read;
      expect(answered).toEqual(['submitted', 'read 200']);
      expect((await waitForEnd(url, queryId)).status).toBe('SUCCEEDED');
    } finally {
      await runtime.close();
    }
  }, 60_000);

  it('refuses to start on a bad fault injection, saying what is wrong', async () => {
    await expect(start(join(dir, 'data'), { stallBackendMs: 'long' })).rejects.toThrow(
      new RegExp(`${TEST_FAULTS_ENV}: .*stallBackendMs`, 's'),
    );
  }, 30_000);
});
