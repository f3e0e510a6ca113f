import { connect } from 'node:net';

/** One answer read off a raw socket: the status line, headers and body (de-chunked). */
export interface RawAnswer {
  /** Everything the server sent. */
  readonly raw: Buffer;
  /** undefined when the server closed without an answer (or none came before the timeout). */
  readonly status?: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The server closed the connection (as opposed to a whole answer or our timeout ending the wait). */
  readonly closed: boolean;
}

/**
 * Writes bytes to the server exactly as given (no normalising of the request line, headers or
 * body) and reads the first final answer: until it is complete (Content-Length or chunked end), the
 * server closes the connection, or `timeoutMs` passes. Interim 1xx answers are skipped; `head` says
 * the request was HEAD (an answer without a body).
 */
export function rawExchange(
  port: number,
  data: string | Buffer,
  { timeoutMs = 5000, host = '127.0.0.1', head = false } = {},
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseAnswer(Buffer.concat(chunks), closed));
    };
    const socket = connect(port, host, () => socket.write(data));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (isComplete(Buffer.concat(chunks), head)) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    const timer = setTimeout(() => finish(false), timeoutMs);
  });
}

/** A request line plus `Host: 127.0.0.1` and `Connection: close`, and an optional body. */
export function rawRequest(requestLine: string, headers: Record<string, string> = {}, body = ''): string {
  const lines = [requestLine, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** The bytes from the first final (not 1xx) status line on. */
function finalAnswer(raw: Buffer): Buffer {
  let at = 0;
  for (;;) {
    const text = raw.subarray(at, at + 12).toString('latin1');
    if (!/^HTTP\/1\.[01] 1\d\d/.test(text)) return raw.subarray(at);
    const end = raw.indexOf('\r\n\r\n', at);
    if (end < 0) return raw.subarray(at);
    at = end + 4;
  }
}

function split(raw: Buffer): { status?: number; headers: Record<string, string>; body: Buffer } | undefined {
  const answer = finalAnswer(raw);
  const headEnd = answer.indexOf('\r\n\r\n');
  const statusMatch = /^HTTP\/1\.[01] (\d{3})/.exec(answer.subarray(0, 16).toString('latin1'));
  if (headEnd < 0 || !statusMatch) return undefined;
  const headers: Record<string, string> = {};
  for (const line of answer.subarray(0, headEnd).toString('latin1').split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusMatch[1]), headers, body: answer.subarray(headEnd + 4) };
}

/** Whether the answer is all there (`head`: the request was HEAD, so it has no body). */
function isComplete(raw: Buffer, head: boolean): boolean {
  const parts = split(raw);
  if (!parts) return false;
  if (head) return true;
  if (/chunked/i.test(parts.headers['transfer-encoding'] ?? '')) return parts.body.includes('0\r\n\r\n');
  const length = parts.headers['content-length'];
  return length !== undefined && parts.body.length >= Number(length);
}

function parseAnswer(raw: Buffer, closed: boolean): RawAnswer {
  const parts = split(raw);
  if (!parts) return { raw, headers: {}, body: '', closed };
  let { body } = parts;
  if (/chunked/i.test(parts.headers['transfer-encoding'] ?? '')) body = dechunk(body);
  else if (parts.headers['content-length'] !== undefined)
    body = body.subarray(0, Number(parts.headers['content-length']));
  return { raw, status: parts.status, headers: parts.headers, body: body.toString('utf8'), closed };
}

function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) break;
    out.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}
