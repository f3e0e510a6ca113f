import { clientRequestToken, executionName, parseExecutionName } from '../../functions/core/execution-naming';
import { slotWaitSeconds } from '../../functions/core/slot-wait';
import {
  MAX_QUERY_BYTES,
  QUERY_ID_PATTERN,
  submissionBodyJsonSchema,
  submissionBodySchema,
} from '../../functions/core/submission';

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

  it("refuses a query longer than Athena's limit in bytes, not characters", () => {
    const multiByte = 'é'.repeat(MAX_QUERY_BYTES / 2 + 1);
    expect(multiByte.length).toBeLessThan(MAX_QUERY_BYTES);
    expect(submissionBodySchema.safeParse({ query: multiByte }).success).toBe(false);
  });

  it('gives API Gateway a draft-04 JSON schema from the same source', () => {
    const schema = submissionBodyJsonSchema();
    expect(schema).toMatchObject({
      type: 'object',
      required: ['query'],
      additionalProperties: false,
      properties: {
        query: { type: 'string', minLength: 1, maxLength: MAX_QUERY_BYTES },
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

describe('slotWaitSeconds', () => {
  const settings = { initialWaitSeconds: 5, maxWaitSeconds: 120 };
  it('doubles with each receive up to the cap, with jitter in the upper half', () => {
    expect(slotWaitSeconds(1, settings, () => 0)).toBe(3);
    expect(slotWaitSeconds(1, settings, () => 1)).toBe(5);
    expect(slotWaitSeconds(3, settings, () => 1)).toBe(20);
    expect(slotWaitSeconds(50, settings, () => 1)).toBe(120);
    expect(slotWaitSeconds(50, settings, () => 0)).toBe(60);
  });
});
