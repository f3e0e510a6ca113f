import { DEFAULT_CONFIG, parseConfig } from '../../contracts/config';
import { ResultsUnavailableError } from '../../functions/core/ports';
import { getResultsApi, listWorkgroupsApi } from '../../functions/core/query-api';
import type { QueryRecord } from '../../functions/core/query-record';
import { InMemoryDispatchStore, InMemoryLedger } from '../support/in-memory';

const NOW = new Date('2026-01-01T12:00:00.000Z');
const ADMIN = { principal: 'admin', admin: true };
const succeeded: QueryRecord = {
  queryId: 'q1',
  className: 'fast',
  query: 'SELECT 1',
  database: 'default',
  catalog: 'AwsDataCatalog',
  submittedAt: NOW.toISOString(),
  status: 'SUCCEEDED',
  attempts: 1,
  redrives: 0,
  updatedAt: NOW.toISOString(),
  athenaQueryExecutionId: 'a1',
};

describe('getResultsApi', () => {
  it('answers 410 when the results expired', async () => {
    const ledger = new InMemoryLedger();
    ledger.records.set('q1', succeeded);
    const response = await getResultsApi('q1', {}, ADMIN, {
      config: parseConfig(DEFAULT_CONFIG),
      ledger,
      results: {
        page: async () => {
          throw new ResultsUnavailableError('The results of query q1 are no longer available.');
        },
      },
    });
    expect(response).toEqual({
      statusCode: 410,
      body: {
        message: 'The results of query q1 are no longer available.',
        queryId: 'q1',
        status: 'SUCCEEDED',
      },
    });
  });

  it('answers 409 saying there are no results for a FAILED query, with its reason', async () => {
    const ledger = new InMemoryLedger();
    ledger.records.set('q1', { ...succeeded, status: 'FAILED', reason: 'SYNTAX_ERROR: line 1:8' });
    const response = await getResultsApi('q1', {}, ADMIN, {
      config: parseConfig(DEFAULT_CONFIG),
      ledger,
      results: { page: jest.fn() },
    });
    expect(response.statusCode).toBe(409);
    expect(response.body).toMatchObject({ status: 'FAILED', reason: 'SYNTAX_ERROR: line 1:8' });
    expect((response.body as { message: string }).message).toContain('It has no results');
  });
});

describe('listWorkgroupsApi', () => {
  it('still answers, with limits as configured, when the live quota cannot be read', async () => {
    const config = parseConfig({
      ...DEFAULT_CONFIG,
      quota: { activeDmlQueries: 'service-quotas', headroom: 2 },
    });
    const response = await listWorkgroupsApi({
      config,
      slots: new InMemoryDispatchStore(),
      ledger: { list: jest.fn(), countByStatus: async () => ({ QUEUED: 2 }) },
      clock: () => NOW,
      liveQuota: async () => {
        throw new Error('AccessDenied');
      },
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toHaveProperty('capacity');
    expect((response.body as { classes: { name: string; queued: number }[] }).classes[0]).toMatchObject({
      queued: 2,
    });
  });
});
