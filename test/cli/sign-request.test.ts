import { createHash, createHmac } from 'node:crypto';
import { NodeSha256, signRequest } from '../../cli/sign-request';

// The example credentials and time of AWS's Signature Version 4 test suite.
const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const signingDate = new Date('2015-08-30T12:36:00Z');

describe('signRequest', () => {
  it('matches the published "get-vanilla" signature of the SigV4 test suite', async () => {
    const headers = await signRequest(
      { method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {} },
      { credentials, region: 'us-east-1', service: 'service', signingDate },
    );
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, ' +
        'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  it('matches "get-vanilla-query-order-key-case": query parameters are sorted before signing', async () => {
    const headers = await signRequest(
      {
        method: 'GET',
        url: new URL('https://example.amazonaws.com/?Param2=value2&Param1=value1'),
        headers: {},
      },
      { credentials, region: 'us-east-1', service: 'service', signingDate },
    );
    expect(headers.authorization).toMatch(
      /Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500$/,
    );
  });

  const post = (body: string) =>
    signRequest(
      {
        method: 'POST',
        url: new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/prod/workgroups/fast/queries'),
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body,
      },
      { credentials, region: 'eu-west-1', signingDate },
    );

  it('signs for execute-api in the region, covering the headers it sends but leaving host to fetch', async () => {
    const headers = await post('{"query":"SELECT 1"}');
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20150830\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['content-type']).toBe('application/json');
    expect(Object.keys(headers).map((h) => h.toLowerCase())).not.toContain('host');
  });

  it('gives another signature when the body changes', async () => {
    const one = await post('{"query":"SELECT 1"}');
    const two = await post('{"query":"SELECT 2"}');
    expect(one.authorization).not.toBe(two.authorization);
    expect(await post('{"query":"SELECT 1"}')).toEqual(one);
  });

  it('sends and signs the session token of temporary credentials', async () => {
    const headers = await signRequest(
      {
        method: 'GET',
        url: new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/prod/queries'),
        headers: {},
      },
      { credentials: { ...credentials, sessionToken: 'TOKEN' }, region: 'eu-west-1', signingDate },
    );
    expect(headers['x-amz-security-token']).toBe('TOKEN');
    expect(headers.authorization).toContain('SignedHeaders=host;x-amz-date;x-amz-security-token,');
  });
});

describe('NodeSha256', () => {
  it('hashes, and with a secret computes the HMAC, like node:crypto', async () => {
    const plain = new NodeSha256();
    plain.update(Buffer.from('abc'));
    expect(Buffer.from(await plain.digest()).toString('hex')).toBe(
      createHash('sha256').update('abc').digest('hex'),
    );
    const keyed = new NodeSha256('key');
    keyed.update(new TextEncoder().encode('abc'));
    expect(Buffer.from(await keyed.digest()).toString('hex')).toBe(
      createHmac('sha256', 'key').update('abc').digest('hex'),
    );
  });
});
