/**
 * `npm run test:fuzz`: fast-check over the HTTP API and raw sockets on the real local server (a child
 * process). Every answer must be 2xx, or 4xx with a JSON body; never 5xx, never no answer, never a dead
 * process; a 4xx writes nothing to the ledger or the queue. `npm test` runs it small (FUZZ_RUNS
 * unset); `npm run test:fuzz` runs it in full. FUZZ_SEED replays a run.
 */
import fc from 'fast-check';
import { MAX_QUERY_ID_LENGTH, QUERY_ID_PATTERN } from '../../contracts/submission';
import { type Exchange, FUZZ_CONFIG, FuzzTarget, problemWith } from './harness';

const RUNS = Number(process.env.FUZZ_RUNS ?? 15);
/** Printed with the summary, so that a run can be replayed exactly. */
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CLASSES = Object.keys(FUZZ_CONFIG.classes);

let target: FuzzTarget;
let port: number;

beforeAll(async () => {
  target = await FuzzTarget.start();
  port = target.port;
}, 60_000);

afterAll(async () => {
  if (target) {
    if (process.env.FUZZ_RUNS)
      console.log(`fuzz: seed ${SEED}, ${RUNS} runs per property, ${target.summary()}`);
    await target.stop();
  }
});

// ---------- what a request is made of ----------

/** The value `percent` times in 100, else null. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>, percent: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: 100 - percent, arbitrary: fc.constant(null) }, { weight: percent, arbitrary });

/** A Host header: mostly ours, sometimes another name (DNS rebinding) or none. */
const host = () =>
  fc.oneof(
    { weight: 18, arbitrary: fc.constant(`127.0.0.1:${port}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(`localhost:${port}`, `[::1]:${port}`, 'attacker.example', '', 'a b'),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );

/** An Origin header: mostly absent, sometimes ours, another site's, or garbage. */
const origin = () =>
  sometimes(
    fc.oneof(
      fc.constant(`http://127.0.0.1:${port}`),
      fc.constantFrom('http://attacker.example', 'null', 'http://localhost:1', 'https://127.0.0.1'),
      fc.string({ maxLength: 40 }),
    ),
    10,
  );

const contentType = fc.oneof(
  { weight: 18, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
      'application/json; charset=UTF-8',
      'APPLICATION/JSON',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);

/** Ids the API accepts (the pattern has no length of its own). */
const validQueryId = fc
  .stringMatching(new RegExp(QUERY_ID_PATTERN))
  .filter((id) => id.length <= MAX_QUERY_ID_LENGTH);

/** Query texts: statements, texts that hold no statement or cannot be SQL, and anything at all. */
const queryText = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'SELECT 1',
      'SELECT 42 AS answer',
      "SELECT '--' AS dashes -- and a comment",
      '/* why */ SELECT 2 AS two',
      'SELECT * FROM no_such_table',
      'SELEKT nonsense',
    ),
  },
  fc.constantFrom(
    '',
    '   \n\t',
    '-- SELECT 1',
    '/* SELECT 1 */',
    '/* unterminated',
    'SELECT 1\u0000',
    'SELECT \ud800',
    'SELECT 1; SELECT 2',
  ),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ maxLength: 8 }).map((s) => s.repeat(40_000)),
);

/** Submission bodies: valid ones, right-shaped with wrong values, wrong types, extra fields, or any JSON. */
const submissionBody = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        query: queryText,
        // Now and then the same id again: a retry (202) or a reuse with other SQL (409).
        queryId: fc.oneof(
          { weight: 9, arbitrary: validQueryId },
          { weight: 1, arbitrary: fc.constant('fuzz-fixed-id') },
        ),
      },
      { requiredKeys: ['query'] },
    ),
  },
  fc.record(
    {
      query: fc.oneof(
        { weight: 4, arbitrary: queryText },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
      ),
      queryId: fc.oneof(
        validQueryId,
        fc.constantFrom('fuzz-fixed-id', 'a'.repeat(65), 'has space', '../x', ''),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      database: fc.oneof(fc.string({ maxLength: 300 }), fc.jsonValue({ maxDepth: 1 })),
      catalog: fc.string({ maxLength: 20 }),
      userId: fc.oneof(fc.string({ maxLength: 300 }), fc.integer()),
      executionParameters: fc.oneof(fc.array(fc.string({ maxLength: 30 }), { maxLength: 5 }), fc.jsonValue()),
      priority: fc.jsonValue({ maxDepth: 1 }),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A path segment: plain, percent-encoded, or malformed percent-encoding. */
const segment = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/),
  fc.constantFrom('%E0%A4%A', '%FF', '%zz', '%', '%00', '..', '%2F', 'a%20b', 'é'),
  fc.string({ unit: 'binary', maxLength: 12 }).map((s) => encodeURIComponent(s)),
  fc.string({ maxLength: 12 }).map((s) => s.replace(/[\s/?#]/g, '')),
);

const queryString = fc.oneof(
  fc.constant(''),
  fc
    .array(
      fc.tuple(
        fc.constantFrom(
          'limit',
          'maxResults',
          'nextToken',
          'className',
          'workgroup',
          'status',
          'userId',
          'x',
          '',
        ),
        fc.oneof(
          fc.constantFrom('0', '1', '1000', '1001', '-1', '1e3', 'NaN', '%', '%zz', 'RUNNING', 'adhoc'),
          fc.string({ maxLength: 20 }).map(encodeURIComponent),
          fc.string({ maxLength: 12 }).map((s) => s.replace(/[\s#]/g, '')),
        ),
      ),
      { maxLength: 4 },
    )
    .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`),
);

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'DELETE') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'HEAD',
      'PUT',
      'PATCH',
      'OPTIONS',
      'TRACE',
      'PROPFIND',
      'CONNECT',
      'get',
      'FOO',
    ),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z!#$%&'*+.^_`|~-]{1,12}$/) },
);

/** An API path: every route with fuzzed segments and query strings, and paths no route serves. */
const path = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('/athena/query', '/queries', '/workgroups', '/openapi.json', '/console/api/executions'),
      queryString,
    )
    .map(([p, q]) => `${p}${q}`),
  fc
    .tuple(fc.oneof(fc.constantFrom(...CLASSES), segment), queryString)
    .map(([c, q]) => `/workgroups/${c}/queries${q}`),
  fc
    .tuple(segment, fc.constantFrom('', '/results', '/results.csv', '/x'), queryString)
    .map(([id, rest, q]) => `/queries/${id}${rest}${q}`),
  fc.string({ maxLength: 30 }).map((s) => `/${encodeURI(s)}`),
);

interface RequestParts {
  readonly method: string;
  readonly target: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** How the body's length is told: right, wrong (a Content-Length past the body must not hang), chunked, or not at all. */
  readonly framing: 'length' | 'short' | 'long' | 'chunked' | 'none';
}

function encode(parts: RequestParts): Buffer {
  const lines = [`${parts.method} ${parts.target} HTTP/1.1`];
  for (const [name, value] of parts.headers) lines.push(`${name}: ${value}`);
  let body = parts.body;
  if (parts.framing === 'length') lines.push(`Content-Length: ${body.length}`);
  if (parts.framing === 'long') lines.push(`Content-Length: ${body.length + 50}`);
  if (parts.framing === 'short') lines.push(`Content-Length: ${Math.max(0, body.length - 3)}`);
  if (parts.framing === 'chunked') {
    lines.push('Transfer-Encoding: chunked');
    body = Buffer.concat([
      Buffer.from(`${body.length.toString(16)}\r\n`),
      body,
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
  }
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

const framing = fc.oneof(
  { weight: 30, arbitrary: fc.constant<RequestParts['framing']>('length') },
  { weight: 2, arbitrary: fc.constantFrom<RequestParts['framing']>('chunked', 'none', 'short') },
  { weight: 1, arbitrary: fc.constant<RequestParts['framing']>('long') },
);

/** Headers of a well-formed request: Host, Origin, Content-Type, a principal, Connection, Expect. */
const headers = () =>
  fc
    .record({
      host: host(),
      origin: origin(),
      type: sometimes(contentType, 90),
      principal: sometimes(fc.oneof(fc.constantFrom('alice', 'bob', ''), fc.string({ maxLength: 20 })), 30),
      connection: fc.constantFrom('close', 'close', 'keep-alive'),
      expect: sometimes(fc.constantFrom('100-continue', 'something-else'), 5),
    })
    .map(
      (h) =>
        [
          ['Host', h.host],
          ['Connection', h.connection],
          ...(h.origin !== null ? [['Origin', h.origin]] : []),
          ...(h.type !== null ? [['Content-Type', h.type]] : []),
          ...(h.principal !== null ? [['x-athena-wlm-principal', h.principal]] : []),
          ...(h.expect !== null ? [['Expect', h.expect]] : []),
        ].filter(([, value]) => !/[\r\n\0]/.test(value)) as [string, string][],
    );

/** Sends it, and fails with the request and the answer when the answer breaks a rule. */
async function check(parts: RequestParts | Buffer): Promise<Exchange> {
  const request = Buffer.isBuffer(parts) ? parts : encode(parts);
  const head = /^HEAD /.test(request.subarray(0, 5).toString('latin1'));
  const exchange = await target.exchange(request, { head });
  const problem = problemWith(exchange, { head });
  if (problem || !target.alive) {
    throw new Error(
      `${problem ?? 'the server process died'}\nrequest: ${JSON.stringify(request.toString('latin1').slice(0, 600))}\nanswer: ${JSON.stringify(exchange.answer.raw.toString('latin1').slice(0, 600))}`,
    );
  }
  return exchange;
}

const property = <T>(arbitrary: fc.Arbitrary<T>, predicate: (value: T) => Promise<void>) =>
  fc.assert(fc.asyncProperty(arbitrary, predicate), { numRuns: RUNS, seed: SEED });

// ---------- the properties ----------

describe('fuzzing the local API', () => {
  jest.setTimeout(Math.max(120_000, RUNS * 2_000));

  it('answers any submission body, on any class path, as 202 or a 4xx in JSON that queued nothing', async () => {
    await property(
      fc.record({
        path: fc.oneof(
          { weight: 3, arbitrary: fc.constant('/athena/query') },
          { weight: 3, arbitrary: fc.constantFrom(...CLASSES).map((c) => `/workgroups/${c}/queries`) },
          { weight: 1, arbitrary: segment.map((c) => `/workgroups/${c}/queries`) },
        ),
        headers: headers(),
        body: fc.oneof(
          { weight: 6, arbitrary: submissionBody.map((b) => Buffer.from(JSON.stringify(b) ?? '')) },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)) },
          {
            weight: 1,
            arbitrary: fc
              .constantFrom('{"query":', '[]', 'null', '"x"', '{"query":"SELECT 1",}')
              .map((s) => Buffer.from(s)),
          },
        ),
        framing,
      }),
      async ({ path: target, headers: h, body, framing: f }) => {
        await check({ method: 'POST', target, headers: h, body, framing: f });
      },
    );
  });

  it('answers any method on any path with any query string as 2xx or a 4xx in JSON', async () => {
    await property(
      fc.record({
        method,
        target: path,
        headers: headers(),
        body: fc.oneof(
          fc.constant(Buffer.alloc(0)),
          fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? '')),
        ),
        framing,
      }),
      async (parts) => {
        await check(parts);
      },
    );
  });

  it('answers raw bytes on the socket (bad request lines, header lines, huge headers, framing) as a 4xx in JSON or a 2xx', async () => {
    const headerLine = fc.oneof(
      fc
        .tuple(fc.stringMatching(/^[A-Za-z-]{1,20}$/), fc.string({ maxLength: 40 }))
        .map(([n, v]) => `${n}: ${v}`),
      fc.string({ unit: 'binary-ascii', maxLength: 40 }),
      fc.integer({ min: 8_000, max: 40_000 }).map((n) => `X-Big: ${'a'.repeat(n)}`),
      fc.constantFrom(
        'Content-Length: -1',
        'Content-Length: abc',
        'Transfer-Encoding: chunked, gzip',
        'Host:',
        ': x',
      ),
    );
    const requestLine = fc.oneof(
      fc
        .tuple(method, path, fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 extra', ''))
        .map(([m, p, v]) => `${m} ${p} ${v}`.trimEnd()),
      fc
        .constantFrom('//a:99999', '//[', '//:@', 'http://[::1/queries', '//%zz', '*')
        .map((t) => `GET ${t} HTTP/1.1`),
      fc.string({ unit: 'binary-ascii', maxLength: 60 }),
    );
    await property(
      fc.record({
        line: requestLine,
        hostLine: fc.constantFrom(`Host: 127.0.0.1:${port}`, `Host: attacker.example`, ''),
        lines: fc.array(headerLine, { maxLength: 4 }),
        tail: fc.oneof(fc.constant(''), fc.string({ unit: 'binary-ascii', maxLength: 40 })),
      }),
      async ({ line, hostLine, lines, tail }) => {
        const head = [line, ...(hostLine ? [hostLine] : []), 'Connection: close', ...lines].join('\r\n');
        await check(Buffer.from(`${head}\r\n\r\n${tail}`, 'latin1'));
      },
    );
  });

  it('answers malformed targets, foreign hosts and origins, broken framing and bodies that are not SQL with a 4xx in JSON, queueing nothing', async () => {
    const json = (body: unknown, extra: readonly (readonly [string, string])[] = []): RequestParts => ({
      method: 'POST',
      target: '/athena/query',
      headers: [
        ['Host', `127.0.0.1:${port}`],
        ['Connection', 'close'],
        ['Content-Type', 'application/json'],
        ...extra,
      ],
      body: Buffer.from(JSON.stringify(body)),
      framing: 'length',
    });
    const get = (target: string, method = 'GET'): RequestParts => ({
      method,
      target,
      headers: [
        ['Host', `127.0.0.1:${port}`],
        ['Connection', 'close'],
      ],
      body: Buffer.alloc(0),
      framing: 'none',
    });
    const known: [string, RequestParts | Buffer][] = [
      ...['//a:99999', '//[', '//:@', 'http://[::1/queries', '//%zz'].map((t): [string, RequestParts] => [
        `target: ${t}`,
        get(t),
      ]),
      [
        'foreign: text/plain',
        {
          ...json({ query: 'SELECT 1' }),
          headers: [
            ['Host', '127.0.0.1'],
            ['Content-Type', 'text/plain'],
          ],
        },
      ],
      [
        'foreign: Host attacker.example',
        {
          ...json({ query: 'SELECT 1' }),
          headers: [
            ['Host', 'attacker.example'],
            ['Content-Type', 'application/json'],
          ],
        },
      ],
      ['foreign: cross-origin', json({ query: 'SELECT 1' }, [['Origin', 'http://attacker.example']])],
      ['malformed: GET /queries/%E0%A4%A', get('/queries/%E0%A4%A')],
      ['malformed: DELETE /queries/%FF', get('/queries/%FF', 'DELETE')],
      [
        'malformed: POST /workgroups/%zz/queries',
        { ...json({ query: 'SELECT 1' }), target: '/workgroups/%zz/queries' },
      ],
      ['malformed: Content-Length larger than the body', { ...json({ query: 'SELECT 1' }), framing: 'long' }],
      ['malformed: unknown method', Buffer.from(`BREW / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)],
      [
        'malformed: 431',
        Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`),
      ],
      ['not SQL: whitespace only', json({ query: ' \n\t ' })],
      ['not SQL: comment only', json({ query: '-- SELECT 1\n/* and */' })],
      ['not SQL: NUL', json({ query: 'SELECT 1\u0000' })],
      ['not SQL: too long', json({ query: `SELECT 1 --${'x'.repeat(262_144)}` })],
      [
        'not SQL: not UTF-8',
        Buffer.concat([
          Buffer.from(
            `POST /athena/query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{"query":"SELECT `,
          ),
          Buffer.from([0xff, 0xfe]),
          Buffer.from(`"}`),
        ]),
      ],
    ];
    for (const [name, request] of known) {
      const { answer } = await check(request);
      expect([name, answer.status !== undefined && answer.status >= 400 && answer.status < 500]).toEqual([
        name,
        true,
      ]);
    }
  });

  it('is still running and answering after all of it', async () => {
    expect(target.alive).toBe(true);
    const { answer } = await check(
      Buffer.from(`GET /workgroups HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
    );
    expect(answer.status).toBe(200);
  });
});
