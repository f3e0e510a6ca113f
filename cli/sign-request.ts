import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  Checksum,
  SourceData,
} from '@smithy/types';

/** The signing name of API Gateway's invoke API. */
export const EXECUTE_API = 'execute-api';

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 (or HMAC-SHA-256 with a secret) on node:crypto, in the shape the SigV4 signer wants. */
export class NodeSha256 implements Checksum {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.create();
  }

  update(data: Uint8Array): void {
    this.hash.update(toBuffer(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.create();
  }

  private create(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
}

/** A request about to be sent with fetch. */
export interface OutgoingRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface SigningOptions {
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  readonly region: string;
  /** @default 'execute-api' */
  readonly service?: string;
  /** @default now */
  readonly signingDate?: Date;
}

/**
 * Signs a request with AWS Signature Version 4 and returns the headers to send: the given ones plus
 * `authorization`, `x-amz-date` and, for temporary credentials, `x-amz-security-token`. `host` is signed but left out of the result: fetch sets it to the same value.
 */
export async function signRequest(
  request: OutgoingRequest,
  options: SigningOptions,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: options.service ?? EXECUTE_API,
    sha256: NodeSha256,
    // execute-api does not need the x-amz-content-sha256 header (the payload is in the signature anyway).
    applyChecksum: false,
  });
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of request.url.searchParams) {
    const seen = query[key];
    query[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      ...(request.url.port ? { port: Number(request.url.port) } : {}),
      path: request.url.pathname,
      query,
      headers: { ...request.headers, host: request.url.host },
      ...(request.body !== undefined ? { body: request.body } : {}),
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) {
    if (name.toLowerCase() !== 'host') headers[name] = value;
  }
  return headers;
}
