import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_CONFIG } from '../../contracts/config';
import { appSettings } from '../../lib/app-settings';

const context =
  (values: Record<string, unknown>) =>
  (key: string): unknown =>
    values[key];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'athena-wlm-settings-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('app settings (bin/athena-wlm.ts)', () => {
  it('uses the defaults and the stack AthenaWlm when given nothing', () => {
    const settings = appSettings(context({}), {});
    expect(settings.stackName).toBe('AthenaWlm');
    expect(Object.keys(settings.config.classes)).toEqual(Object.keys(DEFAULT_CONFIG.classes));
    expect(settings.config.dataBuckets).toEqual([]);
    expect(settings.apiCloudWatchRole).toBe(true);
  });

  it("leaves API Gateway's account logging role alone with -c apiCloudWatchRole=false", () => {
    expect(appSettings(context({ apiCloudWatchRole: 'false' }), {}).apiCloudWatchRole).toBe(false);
    expect(appSettings(context({ apiCloudWatchRole: false }), {}).apiCloudWatchRole).toBe(false);
  });

  it('adds the data buckets of -c dataBuckets=a,b to those of the config file', () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ ...DEFAULT_CONFIG, dataBuckets: ['lake-a'] }));

    const settings = appSettings(context({ configFile: file, dataBuckets: 'lake-b, lake-a' }), {});

    expect(settings.config.dataBuckets).toEqual(['lake-a', 'lake-b']);
  });

  it('reads the config file from $ATHENA_WLM_CONFIG when no context names one', () => {
    const file = join(dir, 'env.json');
    writeFileSync(file, JSON.stringify({ ...DEFAULT_CONFIG, dataBuckets: ['from-env'] }));

    expect(appSettings(context({}), { ATHENA_WLM_CONFIG: file }).config.dataBuckets).toEqual(['from-env']);
  });

  it('suffixes the stack with -c stage=NAME, or with the config file stage', () => {
    expect(appSettings(context({ stage: 'dev' }), {})).toMatchObject({
      stage: 'dev',
      stackName: 'AthenaWlm-dev',
    });
    expect(appSettings(context({ stage: 'stg', stackName: 'Wlm' }), {}).stackName).toBe('Wlm-stg');
    const file = join(dir, 'staged.json');
    writeFileSync(file, JSON.stringify({ ...DEFAULT_CONFIG, stage: 'qa' }));
    expect(appSettings(context({ configFile: file }), {})).toMatchObject({
      stage: 'qa',
      stackName: 'AthenaWlm-qa',
    });
    expect(appSettings(context({ configFile: file, stage: 'dev' }), {}).stackName).toBe('AthenaWlm-dev');
    expect(() => appSettings(context({ stage: 'Dev!' }), {})).toThrow(/config\.stage: a stage is 1 to 12/);
  });

  it('names the key when a data bucket is not a bucket name', () => {
    expect(() => appSettings(context({ dataBuckets: 's3://lake/prefix' }), {})).toThrow(ConfigError);
    expect(() => appSettings(context({ dataBuckets: 's3://lake/prefix' }), {})).toThrow(
      /config\.dataBuckets\.0: a data bucket is an S3 bucket name/,
    );
  });
});
