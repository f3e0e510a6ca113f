import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { DEFAULT_CONFIG, parseConfig } from '../../contracts/config';
import { listParams, resultsParams } from '../../contracts/query-params';
import {
  cancelledQuerySchema,
  errorSchema,
  type QueryViewBody,
  queryListSchema,
  queryViewSchema,
  resultsPageSchema,
  submissionAcceptedSchema,
  submissionRejectedSchema,
  workgroupsSchema,
} from '../../contracts/responses';
import { submissionBodyJsonSchema } from '../../contracts/submission';
import { acceptSubmission } from '../../functions/core/intake';
import { openApiDocument } from '../../functions/core/openapi';
import type { LedgerQueries, QueryResultsReader } from '../../functions/core/ports';
import {
  cancelQueryApi,
  getQueryApi,
  getResultsApi,
  listQueriesApi,
  listWorkgroupsApi,
} from '../../functions/core/query-api';
import type { QueryRecord } from '../../functions/core/query-record';
import type { QueryView } from '../../functions/core/query-view';
import { InMemoryDispatchStore, InMemoryLedger, RecordingWake } from '../support/in-memory';

const config = parseConfig(DEFAULT_CONFIG);
type Doc = {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string; schema: object }[] }>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  servers?: { url: string }[];
};
const document = () => openApiDocument(config, { serverUrl: 'http://127.0.0.1:8787' }) as Doc;

/**
 * Runs @apidevtools/swagger-parser's validate on a document in a child node process: the parser loads
 * an ES module, which node requires fine but jest's module loader (on node 20) cannot.
 */
function swaggerParserValidate(doc: unknown): { valid: boolean; message: string } {
  const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const script =
      "require('@apidevtools/swagger-parser').validate(process.argv[1])" +
      ".then(() => console.log('VALID'), (e) => { console.log(e.message); process.exitCode = 1; })";
    const run = spawnSync(process.execPath, ['-e', script, file], {
      cwd: join(__dirname, '..', '..'),
      encoding: 'utf8',
    });
    return {
      valid: run.status === 0 && run.stdout.trim() === 'VALID',
      message: `${run.stdout}${run.stderr}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('openApiDocument', () => {
  it('is a valid OpenAPI 3 document', () => {
    const result = swaggerParserValidate(document());
    expect(result.message).toContain('VALID');
    expect(result.valid).toBe(true);
  });

  it('would be caught by the validator if it were broken', () => {
    const broken = document();
    delete (broken.paths['/workgroups'].get as { responses?: unknown }).responses;
    expect(swaggerParserValidate(broken).valid).toBe(false);
  });

  it('has every route of the API, with one submission path per class', () => {
    const routes = Object.entries(document().paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => key !== 'parameters')
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        ...Object.keys(config.classes).map((c) => `POST /workgroups/${c}/queries`),
        'POST /athena/query',
        'GET /queries',
        'GET /queries/{queryId}',
        'DELETE /queries/{queryId}',
        'GET /queries/{queryId}/results',
        'GET /workgroups',
      ].sort(),
    );
  });

  it("describes the submission body with the validator's own JSON schema", () => {
    const doc = document();
    expect(doc.components.schemas.SubmissionBody).toEqual(submissionBodyJsonSchema());
    for (const path of [
      ...Object.keys(config.classes).map((c) => `/workgroups/${c}/queries`),
      '/athena/query',
    ]) {
      expect(doc.paths[path].post).toMatchObject({
        requestBody: {
          content: { 'application/json': { schema: { $ref: '#/components/schemas/SubmissionBody' } } },
        },
      });
    }
  });

  it('documents exactly the query parameters the results and list routes validate', () => {
    const doc = document();
    const names = (path: string) => doc.paths[path].get.parameters?.map((p) => p.name).sort();
    expect(names('/queries/{queryId}/results')).toEqual(Object.keys(resultsParams.shape).sort());
    expect(names('/queries')).toEqual(Object.keys(listParams(config).shape).sort());
    const parameter = (name: string) => doc.paths['/queries'].get.parameters?.find((p) => p.name === name);
    expect(parameter('className')?.schema).toMatchObject({ enum: Object.keys(config.classes) });
    expect(parameter('className')).not.toHaveProperty('deprecated');
    // The class's first name: still read, marked deprecated on the parameter (not inside its schema).
    expect(parameter('workgroup')).toMatchObject({
      deprecated: true,
      schema: { enum: Object.keys(config.classes) },
    });
    expect(parameter('workgroup')?.schema).not.toHaveProperty('deprecated');
    const view = doc.components.schemas.QueryView as { properties: Record<string, Record<string, unknown>> };
    expect(view.properties.workgroup).toMatchObject({ deprecated: true, description: expect.any(String) });
  });

  it('signs with SigV4 as API Gateway describes it, and names the server when told', () => {
    const doc = document();
    expect(doc.components.securitySchemes.sigv4).toMatchObject({
      type: 'apiKey',
      name: 'Authorization',
      in: 'header',
      'x-amazon-apigateway-authtype': 'awsSigv4',
    });
    expect(doc.servers).toEqual([{ url: 'http://127.0.0.1:8787' }]);
    expect((openApiDocument(config) as Doc).servers).toBeUndefined();
  });
});

describe('documented responses match what the API answers', () => {
  const now = new Date('2026-11-22T10:00:10.000Z');
  const clock = () => now;
  const base: QueryRecord = {
    queryId: 'q-ok',
    className: 'fast',
    query: 'SELECT 1',
    database: 'default',
    catalog: 'AwsDataCatalog',
    executionParameters: ['a'],
    userId: 'u1',
    submittedBy: 'local:127.0.0.1',
    submittedAt: '2026-11-22T10:00:00.000Z',
    status: 'SUCCEEDED',
    reason: 'done',
    attempts: 1,
    redrives: 0,
    executionArn: 'arn:aws:states:eu-west-1:1:execution:run-query:q-ok',
    athenaQueryExecutionId: 'athena-1',
    athenaWorkGroup: 'athena-wlm-fast',
    dataScannedBytes: 1024,
    athenaQueueTimeMs: 5,
    engineTimeMs: 100,
    totalTimeMs: 120,
    outputLocation: 's3://results/q-ok.csv',
    startedAt: '2026-11-22T10:00:01.000Z',
    finishedAt: '2026-11-22T10:00:03.000Z',
    updatedAt: '2026-11-22T10:00:03.000Z',
  };
  const running: QueryRecord = { ...base, queryId: 'q-run', status: 'RUNNING', finishedAt: undefined };
  const failed: QueryRecord = {
    ...base,
    queryId: 'q-fail',
    status: 'FAILED',
    error: { code: 'SYNTAX_ERROR', message: 'line 1:8: bad' },
    cancelledBy: undefined,
  };

  const ledger = new InMemoryLedger();
  for (const record of [base, running, failed]) ledger.records.set(record.queryId, record);
  const queries: LedgerQueries = {
    list: async (filter) => ({
      items: [...ledger.records.values()].slice(0, filter.limit),
      nextToken: 'next',
    }),
    countByStatus: async () => ({ QUEUED: 2, WAITING_FOR_SLOT: 1 }),
  };
  const results: QueryResultsReader = {
    page: async () => ({
      columns: [{ name: 'n', type: 'integer' }],
      rows: [['1'], [null]],
      nextToken: 't',
      downloadUrl: 'http://127.0.0.1/q-ok.csv',
      downloadUrlExpiresAt: '2026-11-22T11:00:00.000Z',
    }),
  };
  const slots = new InMemoryDispatchStore();
  const ADMIN = { principal: 'tester', admin: true };
  const deps = {
    config,
    clock,
    ledger: Object.assign(ledger, queries),
    results,
    slots,
    wake: new RecordingWake(slots),
  };

  /** Parses with the schema made strict, so an undocumented field fails the test. */
  const strictly = (schema: z.ZodObject, body: unknown) => schema.strict().parse(body);

  it('GET /queries/{queryId}: the view, and 404 with a message', async () => {
    const ok = await getQueryApi('q-ok', ADMIN, deps);
    expect(ok.statusCode).toBe(200);
    expect(strictly(queryViewSchema, ok.body)).toEqual(ok.body);
    const failedView = await getQueryApi('q-fail', ADMIN, deps);
    expect(strictly(queryViewSchema, failedView.body)).toEqual(failedView.body);
    const missing = await getQueryApi('nope', ADMIN, deps);
    expect(missing.statusCode).toBe(404);
    errorSchema.parse(missing.body);
    const bad = await getQueryApi('bad id', ADMIN, deps);
    expect(bad.statusCode).toBe(400);
    errorSchema.parse(bad.body);
  });

  it('GET /queries/{queryId}/results: a page, 409 when not SUCCEEDED, 400 past the documented maximum', async () => {
    const ok = await getResultsApi('q-ok', { maxResults: '1000' }, ADMIN, deps);
    expect(ok.statusCode).toBe(200);
    expect(strictly(resultsPageSchema, ok.body)).toEqual(ok.body);
    const conflict = await getResultsApi('q-run', {}, ADMIN, deps);
    expect(conflict.statusCode).toBe(409);
    expect(errorSchema.parse(conflict.body)).toMatchObject({ status: 'RUNNING' });
    const doc = document();
    const max = doc.paths['/queries/{queryId}/results'].get.parameters?.find((p) => p.name === 'maxResults')
      ?.schema as { maximum: number };
    expect(
      (await getResultsApi('q-ok', { maxResults: String(max.maximum + 1) }, ADMIN, deps)).statusCode,
    ).toBe(400);
  });

  it('DELETE /queries/{queryId}: the cancelled view, 409 once finished', async () => {
    const cancelled = await cancelQueryApi(
      'q-run',
      { principal: 'tester', admin: true },
      {
        ...deps,
        executions: { stop: async () => undefined },
      },
    );
    expect(cancelled.statusCode).toBe(200);
    expect(strictly(cancelledQuerySchema, cancelled.body)).toEqual(cancelled.body);
    const again = await cancelQueryApi(
      'q-run',
      { principal: 'tester', admin: true },
      {
        ...deps,
        executions: { stop: async () => undefined },
      },
    );
    expect(again.statusCode).toBe(409);
    errorSchema.parse(again.body);
  });

  it('GET /queries and GET /workgroups', async () => {
    const list = await listQueriesApi({ limit: '2' }, ADMIN, deps);
    expect(list.statusCode).toBe(200);
    const page = strictly(queryListSchema, list.body);
    expect(page.items).toHaveLength(2);
    const badLimit = await listQueriesApi({ limit: '101' }, ADMIN, deps);
    expect(badLimit.statusCode).toBe(400);
    const workgroups = await listWorkgroupsApi(deps);
    expect(strictly(workgroupsSchema, workgroups.body)).toEqual(workgroups.body);
    for (const c of (workgroups.body as { classes: unknown[] }).classes) {
      strictly(workgroupsSchema.shape.classes.element, c);
    }
  });

  it('the submission answers, 202 and 400', () => {
    const accepted = acceptSubmission(
      'fast',
      { query: 'SELECT 1' },
      {
        requestId: 'r1',
        now,
        baseUrl: 'http://127.0.0.1:8787',
      },
    );
    expect('queryId' in accepted).toBe(true);
    if ('queryId' in accepted) {
      strictly(submissionAcceptedSchema, { queryId: accepted.queryId, statusUrl: accepted.statusUrl });
    }
    const rejected = acceptSubmission('fast', { nope: 1 }, { requestId: 'r2', now, baseUrl: '' });
    expect(strictly(submissionRejectedSchema, rejected)).toEqual(rejected);
  });

  it('documents every field of the view type', () => {
    type Same<A, B> = [Exclude<A, B>, Exclude<B, A>] extends [never, never] ? true : false;
    const viewKeys: Same<keyof QueryView, keyof QueryViewBody> = true;
    expect(viewKeys).toBe(true);
  });
});
