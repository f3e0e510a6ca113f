import { hostGuard } from '../../../local/http/request-guard';
import { Router } from '../../../local/http/router';
import { type HttpServer, serve } from '../../../local/http/server';
import { rawExchange } from '../../support/raw-http';

describe('the local server refuses what a web page elsewhere could send', () => {
  let server: HttpServer;
  let port: number;
  let posted: unknown[];

  beforeAll(async () => {
    const router = new Router()
      .add('GET', '/queries', () => ({ statusCode: 200, body: { items: [] } }))
      .add('POST', '/athena/query', (request) => {
        posted.push(request.body);
        return { statusCode: 202, body: { queryId: 'q' } };
      });
    server = await serve(router, {
      host: '127.0.0.1',
      port: 0,
      guard: hostGuard({ allowedHosts: ['wlm.internal'], allowedOrigins: ['http://localhost:3000'] }),
    });
    port = Number(new URL(server.url).port);
  });
  beforeEach(() => {
    posted = [];
  });
  afterAll(() => server.close());

  const request = async (method: string, headers: Record<string, string>, body = '') => {
    const lines = [
      `${method} ${method === 'GET' ? '/queries' : '/athena/query'} HTTP/1.1`,
      'Connection: close',
    ];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    const answer = await rawExchange(port, `${lines.join('\r\n')}\r\n\r\n${body}`);
    return { status: answer.status, body: answer.body ? JSON.parse(answer.body) : undefined };
  };
  const json = { 'Content-Type': 'application/json' };
  const submission = JSON.stringify({ query: 'SELECT 1' });

  it.each(['localhost', '127.0.0.1', '[::1]', 'LOCALHOST.', 'wlm.internal'])(
    'answers Host %s (a loopback name, or one it was told to answer)',
    async (name) => {
      expect((await request('GET', { Host: `${name}:${port}` })).status).toBe(200);
    },
  );

  it.each(['attacker.example', '127.0.0.1.nip.io', '192.168.1.20'])(
    'refuses Host %s with a 403 naming the header, for reads and submissions alike',
    async (name) => {
      const read = await request('GET', { Host: `${name}:${port}` });
      const write = await request('POST', { Host: name, ...json }, submission);
      for (const answer of [read, write]) {
        expect(answer.status).toBe(403);
        expect(answer.body).toMatchObject({
          header: 'Host',
          message: expect.stringContaining('DNS rebinding'),
        });
      }
      expect(posted).toEqual([]);
    },
  );

  it('refuses an HTTP/1.1 request without Host with a 400 in JSON', async () => {
    expect((await request('GET', {})).status).toBe(400);
  });

  it.each([
    ['a page on another site', 'http://attacker.example'],
    ['a page on another loopback port', 'http://localhost:1'],
    ['a page over https', () => `https://127.0.0.1:${port}`],
    ['a sandboxed frame or file: page', 'null'],
  ])('refuses a submission from %s (Origin) with a 403, running nothing', async (_what, origin) => {
    const value = typeof origin === 'function' ? origin() : origin;
    const answer = await request('POST', { Host: `127.0.0.1:${port}`, Origin: value, ...json }, submission);
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ header: 'Origin' });
    expect(posted).toEqual([]);
  });

  it.each([
    () => `http://127.0.0.1:${port}`,
    () => `http://localhost:${port}`,
    () => 'http://localhost:3000',
  ])('accepts a submission from the console itself or an allowed origin (%#)', async (origin) => {
    const answer = await request(
      'POST',
      { Host: `127.0.0.1:${port}`, Origin: origin(), ...json },
      submission,
    );
    expect(answer.status).toBe(202);
    expect(posted).toEqual([{ query: 'SELECT 1' }]);
  });

  it.each([
    ['text/plain', 'text/plain;charset=UTF-8'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['a multipart form', 'multipart/form-data; boundary=x'],
    ['JSON in another charset', 'application/json; charset=latin1'],
  ])('refuses a submission sent as %s with a 415, running nothing', async (_what, type) => {
    const answer = await request('POST', { Host: '127.0.0.1', 'Content-Type': type }, submission);
    expect(answer.status).toBe(415);
    expect(answer.body).toMatchObject({ header: 'Content-Type' });
    expect(posted).toEqual([]);
  });

  it('refuses a POST with no Content-Type, body or not', async () => {
    expect((await request('POST', { Host: '127.0.0.1' }, submission)).status).toBe(415);
    expect((await request('POST', { Host: '127.0.0.1' })).status).toBe(415);
    expect(posted).toEqual([]);
  });

  it('accepts application/json with charset utf-8', async () => {
    const answer = await request(
      'POST',
      { Host: '127.0.0.1', 'Content-Type': 'application/json; charset=UTF-8' },
      submission,
    );
    expect(answer.status).toBe(202);
  });
});
