import { connect } from 'node:net';
import { Router } from '../../../local/http/router';
import { type HttpServer, serve } from '../../../local/http/server';

/** Sends one raw HTTP/1.1 request (request target as given, no normalising) and returns the raw answer. */
function rawRequest(port: number, requestLine: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`${requestLine}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      data += chunk;
    });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
    socket.setTimeout(5000, () => {
      socket.destroy();
      resolve(data);
    });
  });
}

/** The body of a raw HTTP answer, chunked or not. */
function bodyOf(answer: string): string {
  const [head, ...rest] = answer.split('\r\n\r\n');
  const body = rest.join('\r\n\r\n');
  if (!/transfer-encoding: chunked/i.test(head)) return body;
  let out = '';
  let text = body;
  for (;;) {
    const lineEnd = text.indexOf('\r\n');
    const size = Number.parseInt(text.slice(0, lineEnd), 16);
    if (!size) return out;
    out += text.slice(lineEnd + 2, lineEnd + 2 + size);
    text = text.slice(lineEnd + 2 + size + 2);
  }
}

describe('the local HTTP server', () => {
  let server: HttpServer;
  let port: number;

  beforeAll(async () => {
    const router = new Router().add('GET', '/ping', () => ({ statusCode: 200, body: { ok: true } }));
    server = await serve(router, { host: '127.0.0.1', port: 0 });
    port = Number(new URL(server.url).port);
  });
  afterAll(() => server.close());

  it.each(['//a:99999', '//[', '//:@', 'http://[::1/queries', '//%zz'])(
    'answers the request target %s with a 400 in JSON and keeps serving',
    async (target) => {
      const answer = await rawRequest(port, `GET ${target} HTTP/1.1`);

      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toMatch(/content-type: application\/json/i);
      const body = JSON.parse(bodyOf(answer));
      expect(body.message).toContain('not a path');
      expect(await rawRequest(port, 'GET /ping HTTP/1.1')).toMatch(/^HTTP\/1\.1 200 /);
    },
  );
});
