/**
 * Executes the synthesized API's mapping templates the way API Gateway does (velocityjs, with API
 * Gateway's `$input`, `$util`, `$context` and request overrides; gateway responses by plain
 * substitution), sends the rendered UpdateItem to the local DynamoDB engine (which evaluates its
 * condition and update expressions), reads the record back with the DynamoDB ledger adapter, and checks
 * what the caller reads, what the pipe would send and what the starter then does.
 */
import { DEFAULT_CONFIG, parseConfig } from '../../contracts/config';
import type { RunQueryInput } from '../../contracts/execution-input';
import { queryMessageSchema } from '../../contracts/submission';
import { DynamoDbLedger } from '../../functions/adapters/aws/dynamodb-ledger';
import { newQueryRecord } from '../../functions/core/query-record';
import { startQuery } from '../../functions/core/start-query';
import { INTAKE_FILTER_PATTERN, INTAKE_MESSAGE_TEMPLATE } from '../../lib/query-intake-pipe';
import { DynamoDbError } from '../../local/dynamodb/errors';
import { LocalDocumentClient } from '../../local/dynamodb/local-document-client';
import { LocalDynamoDb, type UpdateItemParams } from '../../local/dynamodb/local-dynamodb';
import { tempDatabase } from '../local/store/temp-db';
import {
  ApiGatewayEmulator,
  type ApiGatewayTemplate,
  decodeForm,
  type IntegrationAnswer,
  type IntegrationRequest,
  javaEscapeJavaScript,
  javaUrlEncode,
  type MethodAnswer,
  type RequestFacts,
  requestContext,
} from '../support/api-gateway';
import { renderPipeInput, streamInsertRecord } from '../support/pipes';
import { matchesEventPattern } from './event-pattern';
import { evaluate, logicalId, methodPath, resourcesOf, type Synthesized, synthesize } from './support';

type Json = Record<string, unknown>;

const TABLE = 'athena-wlm-ledger-test';
const config = parseConfig(DEFAULT_CONFIG);

let synthesized: Synthesized;
let gateway: ApiGatewayEmulator;
beforeAll(() => {
  synthesized = synthesize();
  const ledger = logicalId(synthesized.stack, synthesized.stack.workloadManager.ledgerTable);
  gateway = new ApiGatewayEmulator(synthesized.template.toJSON() as ApiGatewayTemplate, (value) =>
    evaluate(value, { [ledger]: TABLE }),
  );
});

let store: ReturnType<typeof tempDatabase>;
let engine: LocalDynamoDb;
let ledger: DynamoDbLedger;
beforeEach(() => {
  store = tempDatabase();
  engine = new LocalDynamoDb(store.db, {
    [TABLE]: {
      partitionKey: 'queryId',
      indexes: { byWorkgroup: { partitionKey: 'workgroup', sortKey: 'submittedAt' } },
    },
  });
  ledger = new DynamoDbLedger(new LocalDocumentClient(engine).asDocumentClient(), {
    tableName: TABLE,
    classes: Object.keys(config.classes),
  });
});
afterEach(() => store.close());

const FACTS: RequestFacts = {
  requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  requestTimeEpoch: 1_700_000_000_123,
  userArn: 'arn:aws:sts::123456789012:assumed-role/data-scientists/alice@example.com',
  domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
  stage: 'v1',
};

/**
 * DynamoDB's JSON protocol as API Gateway's AWS integration reaches it: the body is the UpdateItem
 * request; an error is HTTP 400 with the exception in `__type`
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html).
 */
function dynamodb(sent: IntegrationRequest[]) {
  return (request: IntegrationRequest): IntegrationAnswer => {
    sent.push(request);
    expect(request.headers['Content-Type']).toBe('application/x-amz-json-1.0');
    const params = JSON.parse(request.body) as UpdateItemParams;
    try {
      engine.updateItemSync(params);
      return { statusCode: 200, body: '{}' };
    } catch (error) {
      if (!(error instanceof DynamoDbError)) throw error;
      return {
        statusCode: 400,
        body: JSON.stringify({
          __type: `com.amazonaws.dynamodb.v20120810#${error.code}`,
          message: error.message,
        }),
      };
    }
  };
}

function submissionMethod(path: string): Json {
  const found = Object.values(resourcesOf(synthesized.template, 'AWS::ApiGateway::Method')).find(
    (m) => (m.Properties as Json).HttpMethod === 'POST' && methodPath(synthesized.template, m) === path,
  );
  if (!found) throw new Error(`no POST ${path}`);
  return found.Properties as Json;
}

function post(
  path: string,
  body: string,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
  facts: RequestFacts = FACTS,
) {
  const sent: IntegrationRequest[] = [];
  const answer = gateway.invoke(submissionMethod(path), { body, headers, facts }, dynamodb(sent));
  return { answer, sent };
}

function jsonBody(answer: MethodAnswer): Json {
  expect(() => JSON.parse(answer.body)).not.toThrow();
  return JSON.parse(answer.body) as Json;
}

/** The record the starter would have created from the same submission, as the old queue message carried it. */
function expectedRecord(path: string, body: string, facts: RequestFacts = FACTS) {
  const submitted = JSON.parse(body) as Json;
  const message = queryMessageSchema.parse({
    className: path === '/athena/query' ? config.defaultClass : path.split('/')[2],
    queryId: submitted.queryId ?? facts.requestId,
    submittedAt: facts.requestTimeEpoch,
    ...(facts.userArn ? { submittedBy: facts.userArn } : {}),
    body: submitted,
  });
  return newQueryRecord(
    { ...message, body: message.body!, submittedAt: facts.requestTimeEpoch },
    new Date(facts.requestTimeEpoch),
  );
}

/** The stored item as DynamoDB holds it (attribute types included). */
const storedItem = (queryId: string) =>
  engine.getItemSync({ TableName: TABLE, Key: { queryId: { S: queryId } } }).Item;

const REFERENCE_BODY =
  '{"userId": "e586fd16-61bc-4f21-b2b9-1b8b69066510", "queryId": "79a9aac3-e82b-4ed9-9fd5-eda242a4ad72", "query": "SELECT COUNT(request_verb) AS count, request_verb, client_ip FROM alb_logs GROUP BY request_verb, client_ip;"}';

const TRICKY_TEXT = [
  `it's "quoted"`,
  'back\\slash \\n not a newline \\u0041',
  'new\nline, tab\t, cr\r\n',
  'unicode: é 中文 😀 \u2028 \u00a0',
  '#set($x = "pwned") $x \u0024{dq} $context.requestId $input.body #end ## comment #* block *#',
  "$util.urlEncode('a') #if(true)yes#end",
  'form chars: a+b=c&d=%41 ; / ? : @',
  'dynamo: #workgroup :query SET if_not_exists( ) OR',
].join(' | ');

const CORPUS: [string, string, string, Record<string, string>][] = [
  [
    'the reference sample body on /athena/query',
    '/athena/query',
    REFERENCE_BODY,
    { 'Content-Type': 'application/json' },
  ],
  [
    'a body with CRLF line ends',
    '/workgroups/fast/queries',
    '{\r\n  "query": "SELECT 1",\r\n  "queryId": "crlf-1"\r\n}\r\n',
    { 'Content-Type': 'application/json' },
  ],
  ['a body without Content-Type', '/workgroups/fast/queries', '{"query":"SELECT 2","queryId":"no-type"}', {}],
  [
    'application/json; charset=utf-8',
    '/workgroups/long/queries',
    '{"query":"SELECT 3","queryId":"charset-1"}',
    { 'content-type': 'application/json; charset=utf-8' },
  ],
  [
    'a body without queryId',
    '/workgroups/predictable/queries',
    '{"query":"SELECT 4"}',
    { 'Content-Type': 'application/json' },
  ],
  [
    'quotes, backslashes, newlines, unicode and VTL in the SQL, userId and executionParameters',
    '/workgroups/exploratory/queries',
    JSON.stringify({
      query: `SELECT ? AS a, ? AS b -- ${TRICKY_TEXT}`,
      queryId: 'tricky_1',
      database: 'sensors',
      catalog: 'AwsDataCatalog',
      userId: 'o\'brien "the" \\ é 😀 #set($a = 1)',
      executionParameters: [TRICKY_TEXT, "'quoted'", '$dq', '\\'],
    }),
    { 'Content-Type': 'application/json' },
  ],
];

describe('submission request template, run as API Gateway runs it against DynamoDB', () => {
  it.each(CORPUS)('records %s and answers 202 with its id', async (_, path, body, headers) => {
    const { answer, sent } = post(path, body, headers);

    expect(sent).toHaveLength(1);
    expect(answer.statusCode).toBe(202);
    const expected = expectedRecord(path, body);
    expect(await ledger.get(expected.queryId)).toBeDefined();
    expect(jsonBody(answer)).toEqual({
      queryId: expected.queryId,
      statusUrl: `https://${FACTS.domainName}/${FACTS.stage}/queries/${expected.queryId}`,
    });
  });

  it.each(CORPUS)(
    'reads back %s with the ledger adapter equal to newQueryRecord',
    async (_, path, body, headers) => {
      post(path, body, headers);

      const expected = expectedRecord(path, body);
      expect(await ledger.get(expected.queryId)).toEqual(expected);
      // Numbers are stored as N, the parameters as a list of S: what the adapter and the indexes expect.
      const item = storedItem(expected.queryId);
      expect(item?.attempts).toEqual({ N: '0' });
      expect(item?.submittedAt).toEqual({ S: new Date(FACTS.requestTimeEpoch).toISOString() });
    },
  );

  it.each(CORPUS)(
    'answers an identical retry of %s with 202 and changes nothing',
    async (_, path, body, headers) => {
      post(path, body, headers);
      const first = storedItem(expectedRecord(path, body).queryId);

      const { answer } = post(path, body, headers, {
        ...FACTS,
        requestTimeEpoch: FACTS.requestTimeEpoch + 5000,
      });

      expect(answer.statusCode).toBe(202);
      expect(storedItem(expectedRecord(path, body).queryId)).toEqual(first);
    },
  );
});
describe('a reused queryId, refused at the edge', () => {
  const BODY = JSON.stringify({ query: 'SELECT 1', queryId: 'shared-1', executionParameters: ['a'] });
  const PATH = '/workgroups/fast/queries';

  it.each([
    [
      'other SQL',
      PATH,
      JSON.stringify({ query: 'SELECT 2', queryId: 'shared-1', executionParameters: ['a'] }),
      FACTS,
    ],
    ['another class', '/workgroups/long/queries', BODY, FACTS],
    [
      'another submitter',
      PATH,
      BODY,
      { ...FACTS, userArn: 'arn:aws:sts::123456789012:assumed-role/other/bob' },
    ],
    ['no submitter', PATH, BODY, { ...FACTS, userArn: '' }],
    [
      'other parameters',
      PATH,
      JSON.stringify({ query: 'SELECT 1', queryId: 'shared-1', executionParameters: ['b'] }),
      FACTS,
    ],
    ['no parameters', PATH, JSON.stringify({ query: 'SELECT 1', queryId: 'shared-1' }), FACTS],
    [
      'another database',
      PATH,
      JSON.stringify({
        query: 'SELECT 1',
        queryId: 'shared-1',
        executionParameters: ['a'],
        database: 'other',
      }),
      FACTS,
    ],
  ])('answers 409 in JSON for the id with %s, and leaves the record as it was', (_, path, body, facts) => {
    post(PATH, BODY);
    const first = storedItem('shared-1');

    const { answer, sent } = post(path, body, { 'Content-Type': 'application/json' }, facts);

    expect(sent).toHaveLength(1);
    expect(answer.statusCode).toBe(409);
    const refusal = jsonBody(answer);
    expect(refusal).toMatchObject({ queryId: 'shared-1', requestId: FACTS.requestId });
    expect(refusal.message).toEqual(expect.stringContaining('already used by another query'));
    expect(refusal.message).toEqual(expect.stringContaining('new queryId'));
    expect(storedItem('shared-1')).toEqual(first);
  });

  it('takes the default database as the same submission as "default" named', () => {
    post(PATH, JSON.stringify({ query: 'SELECT 1', queryId: 'db-1' }));
    const { answer } = post(
      PATH,
      JSON.stringify({ query: 'SELECT 1', queryId: 'db-1', database: 'default' }),
    );
    expect(answer.statusCode).toBe(202);
  });

  it('passes a retry without submitter on a record without one, and refuses it a signed one', async () => {
    const anonymous = { ...FACTS, userArn: '' };
    post(PATH, BODY, undefined, anonymous);
    expect(await ledger.get('shared-1')).toEqual(expectedRecord(PATH, BODY, anonymous));
    expect((await ledger.get('shared-1'))?.submittedBy).toBeUndefined();

    expect(post(PATH, BODY, undefined, anonymous).answer.statusCode).toBe(202);
    expect(post(PATH, BODY).answer.statusCode).toBe(409);
  });

  it('never puts a query that already runs back to QUEUED when its POST is retried', async () => {
    post(PATH, BODY);
    await ledger.update('shared-1', { status: 'RUNNING', attempts: 1, executionArn: 'arn:x' });
    const running = storedItem('shared-1');

    expect(post(PATH, BODY).answer.statusCode).toBe(202);

    expect(storedItem('shared-1')).toEqual(running);
    expect((await ledger.get('shared-1'))?.status).toBe('RUNNING');
  });
});

describe('submittedAt, computed in VTL from $context.requestTimeEpoch', () => {
  /** The UpdateItem the template renders for a request at this time (not sent anywhere). */
  function renderedSubmittedAt(requestTimeEpoch: number): string {
    let rendered = '';
    gateway.invoke(
      submissionMethod('/workgroups/fast/queries'),
      { body: '{"query":"SELECT 1"}', headers: {}, facts: { ...FACTS, requestTimeEpoch } },
      (sent) => {
        rendered = sent.body;
        return { statusCode: 200, body: '{}' };
      },
    );
    const params = JSON.parse(rendered) as { ExpressionAttributeValues: Record<string, { S?: string }> };
    return params.ExpressionAttributeValues[':submittedAt'].S as string;
  }

  it('writes the ISO-8601 UTC time Date.toISOString writes, leap days and centuries included', () => {
    const edges = [
      0,
      951_782_400_000, // 2000-02-29
      951_868_799_999, // 2000-02-29T23:59:59.999
      4_107_542_400_000, // 2100-03-01 (2100 is not a leap year)
      4_107_455_999_999, // 2100-02-28T23:59:59.999
      1_704_067_199_999, // 2023-12-31T23:59:59.999
      1_709_164_800_000, // 2024-02-29
      1_700_000_000_005,
      1_700_000_000_050,
    ];
    // A fixed pseudo-random walk over 1970 to 2200, so a failure reproduces.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const sampled = Array.from({ length: 300 }, () => Math.floor(random() * 7_258_118_400_000));
    for (const epoch of [...edges, ...sampled]) {
      expect({ epoch, iso: renderedSubmittedAt(epoch) }).toEqual({
        epoch,
        iso: new Date(epoch).toISOString(),
      });
    }
  });
});

describe('what DynamoDB may answer besides success and a failed condition', () => {
  const answerTo = (statusCode: number, type: string) =>
    gateway.invoke(
      submissionMethod('/workgroups/fast/queries'),
      { body: '{"query":"SELECT 1","queryId":"e-1"}', headers: {}, facts: FACTS },
      () => ({
        statusCode,
        body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'x' }),
      }),
    );

  it('answers a body the model allows but too large for a ledger record with 400 that says to shorten it', () => {
    // 200 KB of SQL and 250 parameters of 1 KB: within the model, past DynamoDB's 400 KB item.
    const body = JSON.stringify({
      query: `SELECT '${'x'.repeat(200_000)}' AS big`,
      queryId: 'too-big',
      executionParameters: Array.from({ length: 250 }, () => 'p'.repeat(1024)),
    });

    const { answer } = post('/workgroups/fast/queries', body);

    expect(answer.statusCode).toBe(400);
    expect(jsonBody(answer)).toMatchObject({ queryId: 'too-big' });
    expect(jsonBody(answer).message).toEqual(expect.stringContaining('Shorten the query'));
    expect(engine.getItemSync({ TableName: TABLE, Key: { queryId: { S: 'too-big' } } }).Item).toBeUndefined();
  });

  it.each([
    [400, 'ProvisionedThroughputExceededException', 503, 'Retry'],
    [400, 'ThrottlingException', 503, 'Retry'],
    [400, 'RequestLimitExceeded', 503, 'Retry'],
    [400, 'AccessDeniedException', 500, 'Retry'],
    [500, 'InternalServerError', 503, 'Retry'],
    [503, 'ServiceUnavailable', 503, 'Retry'],
  ])('answers HTTP %i %s with %i and JSON that says to retry', (status, type, expected, advice) => {
    const answer = answerTo(status, type);

    expect(answer.statusCode).toBe(expected);
    const body = jsonBody(answer);
    expect(body).toMatchObject({ queryId: 'e-1', requestId: FACTS.requestId });
    expect(body.message).toEqual(expect.stringContaining(advice));
    expect(body.message).toEqual(expect.stringContaining('nothing was queued'));
  });

  it('sends nothing and answers 415 in JSON for a body that is not JSON by its Content-Type', () => {
    const { answer, sent } = post('/workgroups/fast/queries', 'query=SELECT 1', {
      'Content-Type': 'text/plain',
    });

    expect(sent).toHaveLength(0);
    expect(answer).toMatchObject({ statusCode: 415, gatewayResponseType: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(answer.headers['Content-Type']).toBe('application/json');
    expect(jsonBody(answer).message).toContain('application/json');
  });
});

describe('from the record to the starter, through the stream and the pipe', () => {
  it.each(CORPUS)(
    'queues %s once, as a message the starter reads and starts',
    async (_, path, body, headers) => {
      post(path, body, headers);
      const record = expectedRecord(path, body);
      const image = storedItem(record.queryId);
      if (!image) throw new Error('no record');

      // The pipe's filter passes the INSERT and nothing the later writes of the record put on the stream.
      expect(
        matchesEventPattern(JSON.parse(INTAKE_FILTER_PATTERN), streamInsertRecord('INSERT', image)),
      ).toBe(true);
      expect(
        matchesEventPattern(JSON.parse(INTAKE_FILTER_PATTERN), streamInsertRecord('MODIFY', image)),
      ).toBe(false);
      expect(
        matchesEventPattern(JSON.parse(INTAKE_FILTER_PATTERN), streamInsertRecord('REMOVE', image)),
      ).toBe(false);
      const messageBody = renderPipeInput(INTAKE_MESSAGE_TEMPLATE, streamInsertRecord('INSERT', image));
      // Both names of the class, for a starter of the previous release (see INTAKE_MESSAGE_TEMPLATE).
      expect(JSON.parse(messageBody)).toEqual({
        className: record.className,
        workgroup: record.className,
        queryId: record.queryId,
        attempt: 1,
      });
      expect(queryMessageSchema.parse(JSON.parse(messageBody))).toEqual({
        className: record.className,
        queryId: record.queryId,
        attempt: 1,
      });

      const started: { name: string; input: RunQueryInput }[] = [];
      const outcome = await startQuery(messageBody, 1, {
        config,
        ledger,
        executions: {
          start: async (name, input) => {
            started.push({ name, input });
            return { status: 'started', executionArn: `arn:aws:states:::execution:run-query:${name}` };
          },
        },
        metrics: { count: () => undefined, milliseconds: () => undefined },
        clock: () => new Date(FACTS.requestTimeEpoch + 1000),
      });

      expect(outcome).toMatchObject({ kind: 'started', queryId: record.queryId });
      expect(started).toHaveLength(1);
      expect(started[0].input).toMatchObject({
        queryId: record.queryId,
        className: record.className,
        attempt: 1,
        startQueryExecution: { QueryString: record.query },
      });
    },
  );
});

describe('gateway responses, rendered as API Gateway renders them (no VTL)', () => {
  const validationErrors = [
    '[object has missing required properties (["query"])]',
    '[object instance has properties which are not allowed by the schema: ["sql"]]',
    '[string "SELECT \\"x\\" \n FROM t" is too long (length: 262145, maximum allowed: 262144)]',
    'a \\ backslash and a "quote" and a \' quote',
  ];

  it.each(validationErrors)('answers a bad body (%s) with valid JSON that says what to send', (text) => {
    const answer = gateway.gatewayResponse('BAD_REQUEST_BODY', requestContext(FACTS), {
      message: 'Invalid request body',
      messageString: '"Invalid request body"',
      validationErrorString: text,
    });

    expect(answer.statusCode).toBe(400);
    const body = jsonBody(answer);
    expect(body.message).toEqual(expect.stringContaining('"query"'));
    expect(body.requestId).toBe(FACTS.requestId);
  });

  it('rejects a body against the request model before the template runs', () => {
    const { answer, sent } = post('/workgroups/fast/queries', '{"sql":"SELECT 1"}');

    expect(sent).toHaveLength(0);
    expect(answer).toMatchObject({ statusCode: 400, gatewayResponseType: 'BAD_REQUEST_BODY' });
    expect(jsonBody(answer).message).toContain('Nothing was enqueued');
  });

  it('renders every gateway response as JSON with a Content-Type header of application/json', () => {
    const types = Object.values(resourcesOf(synthesized.template, 'AWS::ApiGateway::GatewayResponse')).map(
      (r) => (r.Properties as Json).ResponseType as string,
    );
    expect(types.length).toBeGreaterThanOrEqual(5);
    for (const type of types) {
      const answer = gateway.gatewayResponse(type, requestContext(FACTS), {
        message: 'it says "no"',
        messageString: '"it says \\"no\\""',
        validationErrorString: '[object has missing required properties (["query"])]',
      });
      expect({ type, headers: answer.headers }).toEqual({
        type,
        headers: { 'Content-Type': 'application/json' },
      });
      expect(typeof jsonBody(answer).message).toBe('string');
    }
  });
});

describe('the $util functions, as Java implements them', () => {
  it('escapeJavaScript escapes quotes, slashes, controls and non-ASCII like Commons Lang', () => {
    expect(javaEscapeJavaScript(`a'b"c\\d/e\nf\u0001é😀`)).toBe(
      'a\\\'b\\"c\\\\d\\/e\\nf\\u0001\\u00E9\\uD83D\\uDE00',
    );
  });

  it('urlEncode is URLEncoder.encode(s, "UTF-8")', () => {
    expect(javaUrlEncode("a b+c&d=é*~'()!_.-")).toBe('a+b%2Bc%26d%3D%C3%A9*%7E%27%28%29%21_.-');
    expect(decodeForm(`x=${javaUrlEncode('a b+c&d=é😀')}`).x).toBe('a b+c&d=é😀');
  });
});
