/**
 * Executes the synthesized API's mapping templates the way API Gateway does (velocityjs, with API
 * Gateway's `$input`, `$util`, `$context` and request overrides; gateway responses by plain
 * substitution), sends the result to an SQS stand-in that decodes the form body as SQS does, and checks
 * what the starter would receive and what the caller would read.
 */
import { queryMessageSchema } from '../../contracts/submission';
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
import { methodPath, resourcesOf, type Synthesized, synthesize } from './support';

type Json = Record<string, unknown>;

let synthesized: Synthesized;
let gateway: ApiGatewayEmulator;
beforeAll(() => {
  synthesized = synthesize();
  gateway = new ApiGatewayEmulator(synthesized.template.toJSON() as ApiGatewayTemplate);
});

const FACTS: RequestFacts = {
  requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  requestTimeEpoch: 1_700_000_000_123,
  userArn: 'arn:aws:sts::123456789012:assumed-role/data-scientists/alice@example.com',
  domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
  stage: 'v1',
};

/** SQS SendMessage's allowed characters (SendMessage API reference): anything else is InvalidMessageContents. */
const SQS_MESSAGE_CHARACTERS = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

/** The SQS query API as API Gateway's AWS integration reaches it: a form body with Action and MessageBody. */
function sqs(sent: IntegrationRequest[]) {
  return (request: IntegrationRequest): IntegrationAnswer => {
    sent.push(request);
    expect(request.headers['Content-Type']).toBe('application/x-www-form-urlencoded');
    const form = decodeForm(request.body);
    if (form.Action !== 'SendMessage' || form.MessageBody === undefined) {
      return {
        statusCode: 400,
        body: '<ErrorResponse><Error><Code>MissingAction</Code></Error></ErrorResponse>',
      };
    }
    if (!SQS_MESSAGE_CHARACTERS.test(form.MessageBody)) {
      return {
        statusCode: 400,
        body: '<ErrorResponse><Error><Code>InvalidMessageContents</Code></Error></ErrorResponse>',
      };
    }
    return {
      statusCode: 200,
      body: '<SendMessageResponse><SendMessageResult><MessageId>m-1</MessageId></SendMessageResult></SendMessageResponse>',
    };
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
) {
  const sent: IntegrationRequest[] = [];
  const answer = gateway.invoke(submissionMethod(path), { body, headers, facts: FACTS }, sqs(sent));
  return { answer, sent };
}

/** The queue message SQS stored, as the starter parses it. */
function queuedMessage(sent: IntegrationRequest[]) {
  expect(sent).toHaveLength(1);
  const form = decodeForm(sent[0].body);
  expect(Object.keys(form).sort()).toEqual(['Action', 'MessageBody']);
  return queryMessageSchema.parse(JSON.parse(form.MessageBody));
}

function jsonBody(answer: MethodAnswer): Json {
  expect(() => JSON.parse(answer.body)).not.toThrow();
  return JSON.parse(answer.body) as Json;
}

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
].join(' | ');

describe('submission request template, run as API Gateway runs it', () => {
  it.each([
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
    [
      'a body without Content-Type',
      '/workgroups/fast/queries',
      '{"query":"SELECT 2","queryId":"no-type"}',
      {},
    ],
    [
      'application/json; charset=utf-8',
      '/workgroups/long/queries',
      '{"query":"SELECT 3","queryId":"charset-1"}',
      { 'content-type': 'application/json; charset=utf-8' },
    ],
    [
      'quotes, backslashes, newlines, unicode and VTL in the SQL and executionParameters',
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
  ])('queues %s as a message the starter accepts, equal to the submission', (_, path, body, headers) => {
    const { answer, sent } = post(path, body, headers);

    expect(answer.statusCode).toBe(202);
    const message = queuedMessage(sent);
    const submitted = JSON.parse(body) as Json;
    expect(message.body).toEqual(submitted);
    expect(message).toMatchObject({
      queryId: submitted.queryId,
      workgroup: path === '/athena/query' ? 'adhoc' : path.split('/')[2],
      attempt: 1,
      submittedAt: FACTS.requestTimeEpoch,
      submittedBy: FACTS.userArn,
    });
    expect(jsonBody(answer)).toEqual({
      queryId: submitted.queryId,
      statusUrl: `https://${FACTS.domainName}/${FACTS.stage}/queries/${submitted.queryId}`,
    });
  });

  it('gives a submission without queryId the request id, in the message and in the 202', () => {
    const { answer, sent } = post('/workgroups/predictable/queries', '{"query":"SELECT 4"}');

    expect(answer.statusCode).toBe(202);
    expect(queuedMessage(sent)).toMatchObject({ queryId: FACTS.requestId, body: { query: 'SELECT 4' } });
    expect(jsonBody(answer).queryId).toBe(FACTS.requestId);
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

  it('answers a queue error with 500 JSON that names the request', () => {
    const answer = gateway.invoke(
      submissionMethod('/workgroups/fast/queries'),
      { body: '{"query":"SELECT 1"}', headers: {}, facts: FACTS },
      () => ({
        statusCode: 403,
        body: '<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>',
      }),
    );

    expect(answer.statusCode).toBe(500);
    expect(jsonBody(answer)).toMatchObject({ requestId: FACTS.requestId });
  });
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
