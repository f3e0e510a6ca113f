import type { QueryMessageInput } from '../../contracts/submission';
import { submitQuery } from '../../functions/core/intake';
import type { SubmissionStore } from '../../functions/core/ports';
import type { QueryRecord } from '../../functions/core/query-record';

const NOW = new Date('2026-01-01T12:00:00.000Z');

/** Records and messages as one step, like the local store's transaction. */
class MemorySubmissions implements SubmissionStore {
  readonly records = new Map<string, QueryRecord>();
  readonly messages: QueryMessageInput[] = [];
  async admit(record: QueryRecord, message: QueryMessageInput) {
    const stored = this.records.get(record.queryId);
    if (stored) return { created: false, record: stored };
    this.records.set(record.queryId, record);
    this.messages.push(message);
    return { created: true, record };
  }
}

const submit = (store: SubmissionStore, body: unknown, principal = 'alice', workgroup = 'adhoc') =>
  submitQuery(
    workgroup,
    body,
    { requestId: 'req-1', caller: { principal }, now: NOW, baseUrl: 'http://x' },
    store,
  );

describe('submitQuery', () => {
  it('records the query QUEUED with its submitter and queues a message naming it, answering 202', async () => {
    const store = new MemorySubmissions();
    const answer = await submit(store, { query: 'SELECT 1', queryId: 'q1' });
    expect(answer).toEqual({ statusCode: 202, body: { queryId: 'q1', statusUrl: 'http://x/queries/q1' } });
    expect(store.records.get('q1')).toMatchObject({
      status: 'QUEUED',
      submittedBy: 'alice',
      query: 'SELECT 1',
    });
    // The message names the stored record, as the AWS intake pipe's does.
    expect(store.messages).toEqual([{ queryId: 'q1', className: 'adhoc', attempt: 1 }]);
  });

  it('answers a retried POST (same id, SQL, class and submitter) 202 again, queueing nothing more', async () => {
    const store = new MemorySubmissions();
    await submit(store, { query: 'SELECT 1', queryId: 'q1' });
    const again = await submit(store, { query: 'SELECT 1', queryId: 'q1' });
    expect(again.statusCode).toBe(202);
    expect(store.messages).toHaveLength(1);
  });

  it.each([
    ['other SQL', { query: 'SELECT 2', queryId: 'q1' }, 'alice', 'adhoc'],
    ['another submitter', { query: 'SELECT 1', queryId: 'q1' }, 'bob', 'adhoc'],
    ['another class', { query: 'SELECT 1', queryId: 'q1' }, 'alice', 'etl'],
  ])(
    'refuses the same id with %s: 409 naming queryId, nothing queued, the first query untouched',
    async (_what, body, principal, workgroup) => {
      const store = new MemorySubmissions();
      await submit(store, { query: 'SELECT 1', queryId: 'q1' });
      const reused = await submit(store, body, principal, workgroup);
      expect(reused.statusCode).toBe(409);
      expect(reused.body).toMatchObject({ field: 'queryId', queryId: 'q1' });
      // Nothing about the query that holds the id.
      expect(JSON.stringify(reused.body)).not.toMatch(/SELECT|alice/);
      expect(store.messages).toHaveLength(1);
      expect(store.records.get('q1')).toMatchObject({ query: 'SELECT 1', submittedBy: 'alice' });
    },
  );

  it('answers 400 naming the field, storing and queueing nothing', async () => {
    const store = new MemorySubmissions();
    const answer = await submit(store, { query: '  -- nothing' });
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toMatchObject({ errors: [{ field: 'query' }] });
    expect(store.records.size + store.messages.length).toBe(0);
  });
});
