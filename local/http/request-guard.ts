import type { IncomingMessage } from 'node:http';
import type { RouteResponse } from './router';
import type { RequestGuard } from './server';

/** Host names a request may name in `Host` by default: the loopback names. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

export interface HostPolicy {
  /** Host names (no port) answered besides the loopback names, e.g. the name of this machine. */
  readonly allowedHosts?: readonly string[];
  /** Origins (`http://name:port`) whose pages may call the API besides the server's own. */
  readonly allowedOrigins?: readonly string[];
}

/** A host name as `URL` writes it: lower case, IPv6 in brackets, no trailing dot. */
export function normalHost(name: string): string | undefined {
  const bareIpv6 = !name.startsWith('[') && name.split(':').length > 2;
  try {
    return new URL(`http://${bareIpv6 ? `[${name}]` : name}`).hostname.replace(/\.$/, '');
  } catch {
    return undefined;
  }
}

const refuse = (message: string, header: string): RouteResponse => ({
  statusCode: 403,
  body: { message, header },
});

/**
 * Refuses what a web page could send from elsewhere. A `Host` that is not one of ours is a DNS
 * rebinding (a page on `attacker.example` whose name now points at 127.0.0.1); an `Origin` that is not
 * the server's own is a page on another site submitting or reading queries. Clients that are not
 * browsers (curl, the CLI) send no Origin and a loopback Host, and pass.
 */
export function hostGuard(policy: HostPolicy = {}): RequestGuard {
  const hosts = new Set(
    [...LOOPBACK_HOSTS, ...(policy.allowedHosts ?? [])]
      .map((h) => normalHost(h))
      .filter((h) => h !== undefined),
  );
  const origins = new Set((policy.allowedOrigins ?? []).map((o) => new URL(o).origin));
  const known = [...hosts].join(', ');

  return (request: IncomingMessage, port: number) => {
    const hostHeader = request.headers.host;
    if (hostHeader === undefined) {
      if (request.httpVersion === '1.0') return undefined;
      return { statusCode: 400, body: { message: 'HTTP/1.1 requests need a Host header.', header: 'Host' } };
    }
    const host = normalHost(hostHeader);
    if (!host || !hosts.has(host)) {
      return refuse(
        `Host '${hostHeader.slice(0, 200)}' is not a name this server answers to (${known}). It answers loopback names only, so that a web page cannot reach it by pointing its own name at this machine (DNS rebinding); to add a name, start with --allowed-hosts <name>.`,
        'Host',
      );
    }
    const origin = request.headers.origin;
    if (origin === undefined || originAllowed(origin, hosts, origins, port)) return undefined;
    return refuse(
      `Requests from pages on ${JSON.stringify(origin.slice(0, 200))} are refused: only the console served here (http://<loopback name>:${port}) may call this API from a browser; to allow another page, start with --allowed-origins <origin>.`,
      'Origin',
    );
  };
}

function originAllowed(origin: string, hosts: Set<string>, origins: Set<string>, port: number): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // `null` (sandboxed frames, file: pages) and anything unparsable
  }
  if (origins.has(url.origin)) return true;
  return url.protocol === 'http:' && hosts.has(url.hostname) && (url.port || '80') === String(port);
}
