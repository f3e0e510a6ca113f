import { MAX_EXECUTION_INPUT_BYTES } from '../../contracts/execution-input';
import { clientRequestToken, executionName, parseExecutionName } from '../../contracts/execution-naming';
import {
  MAX_QUERY_BYTES,
  NO_NUL_PATTERN,
  QUERY_ID_PATTERN,
  runInputBytes,
  STATEMENT_PATTERN,
  submissionBodyJsonSchema,
  submissionBodySchema,
} from '../../contracts/submission';

const referenceBody = {
  userId: 'e586fd16-61bc-4f21-b2b9-1b8b69066510',
  queryId: '79a9aac3-e82b-4ed9-9fd5-eda242a4ad72',
  query:
    'SELECT COUNT(request_verb) AS count, request_verb, client_ip FROM alb_logs GROUP BY request_verb, client_ip;',
};

describe('submission body', () => {
  it("accepts the reference sample's JMeter body unchanged", () => {
    expect(submissionBodySchema.parse(referenceBody)).toEqual(referenceBody);
  });

  it('refuses a missing query, an unknown field and a bad queryId, naming each field', () => {
    const result = submissionBodySchema.safeParse({ queryId: 'has space', extra: 1 });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map(
      (i) => i.path.join('.') || (i as { keys?: string[] }).keys?.join(','),
    );
    expect(paths).toEqual(expect.arrayContaining(['query', 'queryId', 'extra']));
  });

  it('refuses a query longer than the documented maximum in bytes, not characters', () => {
    const multiByte = 'é'.repeat(Math.ceil(MAX_QUERY_BYTES / 2) + 1);
    expect(multiByte.length).toBeLessThan(MAX_QUERY_BYTES);
    expect(submissionBodySchema.safeParse({ query: multiByte }).success).toBe(false);
  });

  it('accepts a query of exactly the documented maximum, which fits the run input to the byte', () => {
    const longest = 'x'.repeat(MAX_QUERY_BYTES);
    expect(submissionBodySchema.safeParse({ query: longest }).success).toBe(true);
    expect(runInputBytes({ query: longest })).toBe(MAX_EXECUTION_INPUT_BYTES);
    expect(submissionBodySchema.safeParse({ query: `${longest}x` }).success).toBe(false);
  });

  it('counts the database, catalog and parameters against the run input', () => {
    const query = 'x'.repeat(MAX_QUERY_BYTES - 100);
    expect(submissionBodySchema.safeParse({ query }).success).toBe(true);
    const result = submissionBodySchema.safeParse({ query, executionParameters: ['p'.repeat(200)] });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({ path: ['query'], message: expect.stringMatching(/^is \d+ bytes too long/) }),
    ]);
  });

  it.each([
    ['whitespace', ' \t\r\n\u00a0'],
    ['a line comment', '-- SELECT 1'],
    ['comments and whitespace', '/* a */ -- b\n  /** c **/\n'],
    ['an unterminated block comment', '/* SELECT 1'],
  ])('refuses a query that is only %s, naming the field', (_what, query) => {
    const result = submissionBodySchema.safeParse({ query });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['query'],
        message: expect.stringMatching(/only whitespace or comments/),
      }),
    ]);
  });

  it.each([
    'SELECT 1',
    '-- why\nSELECT 1',
    '/* why */SELECT 1',
    "SELECT '--' AS dashes",
    'WITH a AS (SELECT 1) SELECT * FROM a',
    '/*/ */ SELECT 1',
  ])('accepts %j as a statement', (query) => {
    expect(submissionBodySchema.safeParse({ query }).success).toBe(true);
  });

  it('checks a comment-only query of 200 KB in linear time (no backtracking)', () => {
    const started = process.hrtime.bigint();
    expect(new RegExp(STATEMENT_PATTERN).test('/**/ /* * */ -- x\n'.repeat(10_000))).toBe(false);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
  });

  it('refuses a NUL character and a lone surrogate, naming the field', () => {
    for (const [query, problem] of [
      ['SELECT 1\u0000', /NUL/],
      ['SELECT \udc00', /not valid Unicode/],
    ] as const) {
      const result = submissionBodySchema.safeParse({ query });
      expect(result.error?.issues).toEqual([
        expect.objectContaining({ path: ['query'], message: expect.stringMatching(problem) }),
      ]);
    }
  });

  it('gives API Gateway a draft-04 JSON schema from the same source', () => {
    const schema = submissionBodyJsonSchema();
    expect(schema).toMatchObject({
      type: 'object',
      required: ['query'],
      additionalProperties: false,
      properties: {
        query: {
          type: 'string',
          minLength: 1,
          maxLength: MAX_QUERY_BYTES,
          allOf: [{ pattern: STATEMENT_PATTERN }, { pattern: NO_NUL_PATTERN }],
        },
        queryId: { type: 'string', pattern: QUERY_ID_PATTERN },
      },
    });
    expect(schema.$schema).toBeUndefined();
  });

  it('keeps every execution name within 80 characters', () => {
    const longest = 'a'.repeat(64);
    expect(new RegExp(QUERY_ID_PATTERN).test(longest)).toBe(true);
    expect(executionName(longest, 101).length).toBeLessThanOrEqual(80);
    expect(executionName('q', 1)).toBe('q');
    expect(executionName('q', 3)).toBe('q__r2');
  });

  it('names every attempt with only 0-9 A-Z a-z - and _, which Step Functions logs to CloudWatch', () => {
    for (const queryId of ['79a9aac3-e82b-4ed9-9fd5-eda242a4ad72', 'a', 'etl_job-7', 'x'.repeat(64)]) {
      for (let attempt = 1; attempt <= 12; attempt++) {
        const name = executionName(queryId, attempt);
        expect(name).toMatch(/^[0-9A-Za-z_-]{1,80}$/);
        expect(parseExecutionName(name)).toEqual({ queryId, attempt });
      }
    }
  });

  it('refuses query ids that could be read as another query redriven', () => {
    const valid = (id: string) => submissionBodySchema.safeParse({ query: 'SELECT 1', queryId: id }).success;
    expect(valid('job_1')).toBe(true);
    expect(valid('q__r1')).toBe(false);
    expect(valid('q_')).toBe(false);
    expect(valid('q.r1')).toBe(false);
    expect(valid('a'.repeat(65))).toBe(false);
  });

  it('derives a request token Athena accepts (32 to 128 chars), stable per attempt', () => {
    const token = clientRequestToken('q', 1);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(clientRequestToken('q', 1)).toBe(token);
    expect(clientRequestToken('q', 2)).not.toBe(token);
  });
});
