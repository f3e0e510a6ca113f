import { AthenaClient, GetQueryResultsCommand, InvalidRequestException } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AthenaResults, parseS3Url } from '../../functions/adapters/aws/athena-results';
import { ResultsUnavailableError } from '../../functions/core/ports';
import type { QueryRecord } from '../../functions/core/query-record';

const athena = mockClient(AthenaClient);
const NOW = new Date('2026-01-01T12:00:00.000Z');
const s3 = new S3Client({
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
});

const record: QueryRecord = {
  queryId: 'q1',
  className: 'fast',
  query: 'SELECT id, name FROM t',
  database: 'default',
  catalog: 'AwsDataCatalog',
  submittedAt: NOW.toISOString(),
  status: 'SUCCEEDED',
  attempts: 1,
  redrives: 0,
  updatedAt: NOW.toISOString(),
  athenaQueryExecutionId: 'athena-123',
  outputLocation: 's3://results-bucket/fast/athena-123.csv',
};

const resultSet = (rows: string[][]) => ({
  ResultSet: {
    ResultSetMetadata: {
      ColumnInfo: [
        { Name: 'id', Type: 'integer' },
        { Name: 'name', Type: 'varchar' },
      ],
    },
    Rows: rows.map((r) => ({ Data: r.map((v) => (v === 'NULL' ? {} : { VarCharValue: v })) })),
  },
});

beforeEach(() => athena.reset());

describe('AthenaResults', () => {
  it("gives columns with types, the rows asked for without the first page's header row, and the token", async () => {
    // Prepare
    athena.on(GetQueryResultsCommand).resolves({
      ...resultSet([
        ['id', 'name'],
        ['1', 'a'],
        ['2', 'NULL'],
      ]),
      NextToken: 'athena-token',
    });
    const results = new AthenaResults(new AthenaClient({}), s3, { clock: () => NOW });
    // Act
    const page = await results.page(record, { maxResults: 2 });
    // Assess
    expect(page.columns).toEqual([
      { name: 'id', type: 'integer' },
      { name: 'name', type: 'varchar' },
    ]);
    expect(page.rows).toEqual([
      ['1', 'a'],
      ['2', null],
    ]);
    expect(page.nextToken).toBe('athena-token');
    // The header row counts toward Athena's MaxResults, so one more is asked for on the first page.
    expect(athena).toHaveReceivedCommandWith(GetQueryResultsCommand, {
      QueryExecutionId: 'athena-123',
      MaxResults: 3,
    });
  });

  it('keeps the first row of a later page (only the first page has a header)', async () => {
    athena.on(GetQueryResultsCommand).resolves(resultSet([['id', 'name']]));
    const page = await new AthenaResults(new AthenaClient({}), s3).page(record, {
      maxResults: 10,
      nextToken: 't',
    });
    expect(page.rows).toEqual([['id', 'name']]);
    expect(athena).toHaveReceivedCommandWith(GetQueryResultsCommand, { NextToken: 't' });
  });

  it('links the CSV with a presigned URL valid for 15 minutes', async () => {
    athena.on(GetQueryResultsCommand).resolves(resultSet([]));
    const page = await new AthenaResults(new AthenaClient({}), s3, { clock: () => NOW }).page(record, {
      maxResults: 10,
    });
    const url = new URL(page.downloadUrl as string);
    expect(url.hostname).toBe('results-bucket.s3.us-east-1.amazonaws.com');
    expect(url.pathname).toBe('/fast/athena-123.csv');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(page.downloadUrlExpiresAt).toBe('2026-01-01T12:15:00.000Z');
  });

  it('says the results are gone when Athena no longer has them', async () => {
    athena
      .on(GetQueryResultsCommand)
      .rejects(new InvalidRequestException({ message: 'Query result file not found', $metadata: {} }));
    await expect(
      new AthenaResults(new AthenaClient({}), s3).page(record, { maxResults: 10 }),
    ).rejects.toBeInstanceOf(ResultsUnavailableError);
  });

  it('parses s3:// locations', () => {
    expect(parseS3Url('s3://b/k/x.csv')).toEqual({ bucket: 'b', key: 'k/x.csv' });
    expect(parseS3Url('https://b/k')).toBeUndefined();
  });
});
