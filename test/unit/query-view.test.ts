import type { QueryRecord } from '../../functions/core/query-record';
import { SUMMARY_QUERY_CHARS, toQuerySummary, toQueryView } from '../../functions/core/query-view';

const NOW = new Date('2026-01-01T12:10:00.000Z');
const base: QueryRecord = {
  queryId: 'q1',
  className: 'fast',
  query: 'SELECT 1',
  database: 'default',
  catalog: 'AwsDataCatalog',
  userId: 'dana',
  submittedAt: '2026-01-01T12:00:00.000Z',
  status: 'QUEUED',
  attempts: 0,
  redrives: 0,
  updatedAt: '2026-01-01T12:00:00.000Z',
};

describe('toQueryView', () => {
  it('derives queue wait from start minus submission, and elapsed to the finish', () => {
    const view = toQueryView(
      {
        ...base,
        status: 'SUCCEEDED',
        startedAt: '2026-01-01T12:00:30.000Z',
        finishedAt: '2026-01-01T12:02:00.000Z',
        dataScannedBytes: 42,
      },
      NOW,
    );
    expect(view).toMatchObject({
      queueWaitMs: 30_000,
      elapsedMs: 120_000,
      finished: true,
      dataScannedBytes: 42,
    });
  });

  it('counts the wait so far and the elapsed time to now while the query waits', () => {
    const view = toQueryView({ ...base, status: 'WAITING_FOR_SLOT', reason: 'fast is at its cap' }, NOW);
    expect(view).toMatchObject({
      queueWaitMs: 600_000,
      elapsedMs: 600_000,
      finished: false,
      reason: 'fast is at its cap',
    });
  });

  it('keeps every stored field', () => {
    const record: QueryRecord = {
      ...base,
      status: 'FAILED',
      error: { code: 'X', message: 'bad' },
      cancelledBy: 'alice',
      submittedBy: 'arn:aws:iam::1:user/a',
      finishedAt: '2026-01-01T12:01:00.000Z',
    };
    expect(toQueryView(record, NOW)).toMatchObject(record);
  });
});

describe('toQuerySummary', () => {
  it('cuts long SQL and says so', () => {
    const summary = toQuerySummary({ ...base, query: 'x'.repeat(SUMMARY_QUERY_CHARS + 5) }, NOW);
    expect(summary.queryTruncated).toBe(true);
    expect(summary.query).toHaveLength(SUMMARY_QUERY_CHARS + 1);
    expect(toQuerySummary(base, NOW).queryTruncated).toBeUndefined();
  });
});
