import {
  isLoopback,
  LOCAL_OPERATOR,
  localCallerOf,
  PRINCIPAL_HEADER,
} from '../../../local/http/local-caller';
import type { RouteRequest } from '../../../local/http/router';

const request = (remoteAddress: string, principal?: string): RouteRequest => ({
  method: 'GET',
  path: '/queries',
  params: {},
  query: {},
  headers: principal === undefined ? {} : { [PRINCIPAL_HEADER]: principal },
  body: undefined,
  requestId: 'r',
  remoteAddress,
});

describe('the local caller', () => {
  it.each(['127.0.0.1', '127.3.4.5', '::1', '::ffff:127.0.0.1'])('trusts %s as loopback', (address) => {
    expect(isLoopback(address)).toBe(true);
  });

  it.each(['10.0.0.5', '::ffff:10.0.0.5', '192.168.1.20', 'fe80::1', '128.0.0.1'])(
    'does not trust %s',
    (address) => {
      expect(isLoopback(address)).toBe(false);
    },
  );

  it('is the principal a loopback client names, and the local operator (an admin) when it names none', () => {
    expect(localCallerOf(request('127.0.0.1', 'alice'))).toEqual({ principal: 'alice' });
    expect(localCallerOf(request('::1'))).toEqual({ principal: LOCAL_OPERATOR, admin: true });
  });

  it('is a client elsewhere by its address, never an admin, and refuses a principal it names (403)', () => {
    expect(localCallerOf(request('10.0.0.5'))).toEqual({ principal: 'local:10.0.0.5' });
    expect(localCallerOf(request('10.0.0.5', 'admin'))).toMatchObject({
      statusCode: 403,
      body: { header: PRINCIPAL_HEADER },
    });
  });

  it('refuses an empty principal', () => {
    expect(localCallerOf(request('127.0.0.1', ''))).toMatchObject({ statusCode: 400 });
  });
});
