import { connect } from 'node:net';

/** One answer read off a raw socket: the status line, headers and body (de-chunked). */
export interface RawAnswer {
  /** Everything the server sent. */
  readonly raw: Buffer;
  /** undefined when the server closed without an answer (or none came before the timeout). */
  readonly status?: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The server closed the connection (as opposed to our timeout ending the wait). */
  readonly closed: boolean;
}

/**
 * Writes bytes to the server exactly as given (no normalising of the request line, headers or
 * body) and reads what comes back until the server closes the connection or `timeoutMs` passes.
 */
export function rawExchange(
  port: number,
  data: string | Buffer,
  { timeoutMs = 5000, host = '127.0.0.1' } = {},
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
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
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

function parseAnswer(raw: Buffer, closed: boolean): RawAnswer {
  const text = raw.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  const statusMatch = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (headEnd < 0 || !statusMatch) return { raw, headers: {}, body: '', closed };
  const headers: Record<string, string> = {};
  for (const line of text.slice(0, headEnd).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(headEnd + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  return { raw, status: Number(statusMatch[1]), headers, body: body.toString('utf8'), closed };
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
