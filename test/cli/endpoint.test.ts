import { regionFromHost, shouldSign } from '../../cli/aws-auth';
import { DEFAULT_ENDPOINT, parseEndpointUrl, resolveEndpoint } from '../../cli/endpoint';
import { CliError, ExitCode } from '../../cli/errors';

const api = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod';

describe('resolveEndpoint', () => {
  const noStack = async () => {
    throw new Error('the stack must not be read');
  };

  it('takes --endpoint first, then ATHENA_WLM_ENDPOINT, then the local default', async () => {
    const env = { ATHENA_WLM_ENDPOINT: 'http://127.0.0.1:9999/' };
    await expect(
      resolveEndpoint({ endpoint: `${api}/`, stack: 'S' }, { env, readStackOutputs: noStack }),
    ).resolves.toEqual({ url: api, source: 'flag' });
    await expect(resolveEndpoint({ stack: 'S' }, { env, readStackOutputs: noStack })).resolves.toEqual({
      url: 'http://127.0.0.1:9999',
      source: 'env',
    });
    await expect(resolveEndpoint({}, { env: {}, readStackOutputs: noStack })).resolves.toEqual({
      url: DEFAULT_ENDPOINT,
      source: 'default',
    });
  });

  it('reads the ApiUrl output of --stack, AthenaWlm when it is given no name', async () => {
    const read = jest.fn(async () => ({ ApiUrl: `${api}/`, Other: 'x' }));
    await expect(
      resolveEndpoint({ stack: true, region: 'eu-west-1' }, { env: {}, readStackOutputs: read }),
    ).resolves.toEqual({ url: api, source: 'stack' });
    expect(read).toHaveBeenCalledWith('AthenaWlm', { region: 'eu-west-1', profile: undefined });
    await resolveEndpoint({ stack: 'Mine' }, { env: {}, readStackOutputs: read });
    expect(read).toHaveBeenLastCalledWith('Mine', { region: undefined, profile: undefined });
  });

  it('says which outputs a stack without ApiUrl has (exit 3)', async () => {
    const error = await resolveEndpoint(
      { stack: 'Other' },
      { env: {}, readStackOutputs: async () => ({ BucketName: 'b' }) },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ exitCode: ExitCode.Unreachable });
    expect((error as Error).message).toBe('Stack Other has no ApiUrl output (outputs: BucketName).');
  });

  it('refuses a URL that is not http(s) as a usage error, naming where it came from', () => {
    expect(() => parseEndpointUrl('localhost:8787', '--endpoint')).toThrow(
      expect.objectContaining({ exitCode: ExitCode.Usage }),
    );
    expect(() => parseEndpointUrl('ftp://x', 'ATHENA_WLM_ENDPOINT')).toThrow(
      /ATHENA_WLM_ENDPOINT 'ftp:\/\/x'/,
    );
  });
});

describe('signing choice', () => {
  it('signs https endpoints and not http ones, unless --sign/--no-sign says otherwise', () => {
    expect(shouldSign(api, undefined)).toBe(true);
    expect(shouldSign('http://127.0.0.1:8787', undefined)).toBe(false);
    expect(shouldSign(api, false)).toBe(false);
    expect(shouldSign('http://127.0.0.1:8787', true)).toBe(true);
  });

  it('reads the region from an execute-api host name', () => {
    expect(regionFromHost('abc123.execute-api.eu-west-1.amazonaws.com')).toBe('eu-west-1');
    expect(regionFromHost('abc123.execute-api.cn-north-1.amazonaws.com.cn')).toBe('cn-north-1');
    expect(regionFromHost('api.example.com')).toBeUndefined();
  });
});
