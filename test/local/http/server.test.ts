import { connect } from 'node:net';
import { Router } from '../../../local/http/router';
import { type HttpServer, serve } from '../../../local/http/server';
import { type RawAnswer, rawExchange, rawRequest } from '../../support/raw-http';

/** The answer is the given 4xx with a JSON body that has a message. */
function expectJsonError(answer: RawAnswer, status: number): Record<string, unknown> {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  expect(typeof body.message).toBe('string');
  return body;
}

describe('the local HTTP server', () => {
  let server: HttpServer;
  let port: number;
  const handled: string[] = [];

  beforeAll(async () => {
    const ok = (name: string) => (request: { params: Record<string, string> }) => {
      handled.push(`${name} ${JSON.stringify(request.params)}`);
      return { statusCode: 200, body: { ok: true } };
    };
    const router = new Router()
      .add('GET', '/ping', () => ({ statusCode: 200, body: { ok: true } }))
      .add('GET', '/queries/{queryId}', ok('get'))
      .add('DELETE', '/queries/{queryId}', ok('delete'))
      .add('POST', '/workgroups/{workgroup}/queries', ok('post'));
    server = await serve(router, {
      host: '127.0.0.1',
      port: 0,
      timeouts: { headersMs: 300, requestMs: 500, idleMs: 2000 },
    });
    port = Number(new URL(server.url).port);
  });
  afterAll(() => server.close());
  afterEach(async () => {
    // Whatever the request did, the server still serves.
    expect((await rawExchange(port, rawRequest('GET /ping HTTP/1.1'))).status).toBe(200);
  });

  it.each(['//a:99999', '//[', '//:@', 'http://[::1/queries', '//%zz'])(
    'answers the request target %s with a 400 in JSON and keeps serving',
    async (target) => {
      const body = expectJsonError(await rawExchange(port, rawRequest(`GET ${target} HTTP/1.1`)), 400);
      expect(body.message).toContain('not a path');
    },
  );

  it.each([
    ['GET /queries/%E0%A4%A', 'queryId'],
    ['DELETE /queries/%FF', 'queryId'],
    ['POST /workgroups/%zz/queries', 'workgroup'],
  ])(
    'answers malformed percent-encoding (%s) with a 400 naming the path parameter',
    async (target, field) => {
      const body = expectJsonError(
        await rawExchange(
          port,
          rawRequest(
            `${target} HTTP/1.1`,
            { 'content-type': 'application/json', 'content-length': '2' },
            '{}',
          ),
        ),
        400,
      );
      expect(body).toMatchObject({ field, message: expect.stringContaining('not valid percent-encoding') });
      expect(handled).toEqual([]);
    },
  );

  it('answers a body shorter than its Content-Length with a 408 in JSON once the request timeout passes', async () => {
    const started = Date.now();
    const answer = await rawExchange(
      port,
      rawRequest(
        'POST /workgroups/adhoc/queries HTTP/1.1',
        { 'content-type': 'application/json', 'content-length': '100' },
        '{"query":',
      ),
    );
    const body = expectJsonError(answer, 408);
    expect(body.message).toContain('Content-Length');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(handled).toEqual([]);
  });

  it('answers headers that never end with a 408 in JSON once the headers timeout passes', async () => {
    const answer = await rawExchange(port, 'GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n');
    expectJsonError(answer, 408);
  });

  it('answers 408 in JSON to a connection that sends nothing, once the headers timeout passes', async () => {
    const started = Date.now();
    const answer = await rawExchange(port, '', { timeoutMs: 5000 });
    expectJsonError(answer, 408);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('closes a kept-alive connection that stays idle past the idle timeout', async () => {
    const started = Date.now();
    const answer = await new Promise<{ closedAfterMs: number; first: string }>((resolve) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write('GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n'),
      );
      let first = '';
      socket.on('data', (chunk: Buffer) => {
        first ||= chunk.toString('latin1');
      });
      socket.on('close', () => resolve({ closedAfterMs: Date.now() - started, first }));
    });
    expect(answer.first).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer.closedAfterMs).toBeLessThan(4000);
  });

  it('answers headers over 16 KiB with a 431 in JSON', async () => {
    const answer = await rawExchange(port, rawRequest('GET /ping HTTP/1.1', { 'x-big': 'a'.repeat(20_000) }));
    expectJsonError(answer, 431);
  });

  it.each([
    ['a request line that is not HTTP', 400, 'garbage\r\n\r\n'],
    ['an unknown method', 400, rawRequest('FOO /ping HTTP/1.1')],
    ['a method the parser knows but no route serves', 405, rawRequest('PROPFIND /ping HTTP/1.1')],
    ['CONNECT', 405, rawRequest('CONNECT example.com:443 HTTP/1.1')],
    ['a bad header line', 400, 'GET /ping HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n'],
    [
      'two Content-Lengths',
      400,
      rawRequest('POST /ping HTTP/1.1', { 'content-length': '1', 'Content-Length': '2' }),
    ],
  ])('answers %s with a %d in JSON', async (_what, status, data) => {
    expectJsonError(await rawExchange(port, data), status);
  });
});
