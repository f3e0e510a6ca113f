import {
  ConfigError,
  DEFAULT_CONFIG,
  limitWithBuffer,
  parseConfig,
  workgroupNameOf,
} from '../../contracts/config';
import { admissionPolicy, TIME_LIMIT_SLACK_SECONDS } from '../../functions/core/admission-policy';

function errorOf(input: unknown): ConfigError {
  try {
    parseConfig(input);
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected the config to be refused');
}

describe('config', () => {
  it('accepts the case-study defaults: five classes as shares of whatever quota the account has', () => {
    const config = parseConfig(DEFAULT_CONFIG);
    expect(Object.keys(config.classes)).toEqual(['predictable', 'fast', 'long', 'exploratory', 'adhoc']);
    expect(workgroupNameOf(config, 'predictable')).toBe('athena-wlm-predictable');
    expect(config.quota.activeDmlQueries).toBe('service-quotas');
    // The reference sample's us-east-1 default quota of 200, minus 10% headroom.
    const at200 = admissionPolicy(config, 200);
    expect(at200.capacity).toBe(180);
    expect(at200.classes.predictable).toMatchObject({ guaranteedSlots: 90, maxSlots: 180 });
    // The same config at a quota of 20.
    const at20 = admissionPolicy(config, 20);
    expect(at20.capacity).toBe(18);
    const guaranteed = Object.values(at20.classes).reduce((sum, c) => sum + c.guaranteedSlots, 0);
    expect(guaranteed).toBeLessThanOrEqual(at20.capacity);
  });

  it('reads shares of capacity: rounded to slots, caps at least one slot, guarantees shrunk to fit', () => {
    const config = parseConfig({
      quota: { activeDmlQueries: 'service-quotas', headroom: '10%' },
      defaultClass: 'a',
      classes: {
        a: { guaranteedSlots: '60%', maxSlots: '100%' },
        b: { guaranteedSlots: 3, maxSlots: '100%' },
        c: { guaranteedSlots: 0, maxSlots: '1%' },
      },
    });
    const policy = admissionPolicy(config, 5);
    // quota 5: headroom round(0.5) = 1, capacity 4; a: 60% of 4 = 2.4 -> 2, b: 3; 5 > 4, so both shrink
    // by 4/5 (1.6 -> 1, 2.4 -> 2); c's 1% is less than a slot but a cap is at least one.
    expect(policy.capacity).toBe(4);
    expect(policy.classes.a).toMatchObject({ guaranteedSlots: 1, maxSlots: 4 });
    expect(policy.classes.b).toMatchObject({ guaranteedSlots: 2, maxSlots: 4 });
    expect(policy.classes.c).toMatchObject({ guaranteedSlots: 0, maxSlots: 1 });
  });

  it('refuses shares of guarantees above 100% and a guarantee above its own max in the same unit', () => {
    const error = errorOf({
      defaultClass: 'a',
      classes: {
        a: { guaranteedSlots: '70%', maxSlots: '60%' },
        b: { guaranteedSlots: '40%', maxSlots: '50%' },
      },
    });
    expect(error.issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^config\.classes: the classes' guaranteedSlots shares add up to 110%/),
        expect.stringMatching(/^config\.classes\.a\.guaranteedSlots: /),
      ]),
    );
  });

  it('computes limits with their buffers: +10% for predictable, 70% of the harm level for exploratory', () => {
    const config = parseConfig(DEFAULT_CONFIG);
    expect(limitWithBuffer(config.classes.predictable.hourlyDataLimit!)).toBe(550_000_000_000);
    expect(limitWithBuffer(config.classes.exploratory.hourlyDataLimit!)).toBe(700_000_000_000);
    expect(limitWithBuffer(config.classes.long.dailyDataLimit!)).toBe(10_000_000_000_000);
  });

  it('gives each local query 2 GiB by default and refuses a memory limit below 64 MiB', () => {
    expect(parseConfig(DEFAULT_CONFIG).localEngine).toEqual({ queryMemoryMb: 2048 });
    const config = parseConfig({ ...DEFAULT_CONFIG, localEngine: { queryMemoryMb: 512, queryThreads: 2 } });
    expect(config.localEngine).toEqual({ queryMemoryMb: 512, queryThreads: 2 });
    expect(errorOf({ ...DEFAULT_CONFIG, localEngine: { queryMemoryMb: 10 } }).issues).toEqual([
      expect.stringMatching(/^config\.localEngine\.queryMemoryMb: /),
    ]);
  });

  it('names the key of every error', () => {
    const error = errorOf({
      defaultClass: 'missing',
      classes: { fast: { guaranteedSlots: 3, maxSlots: 2, bytesScannedCutoffPerQuery: 5 } },
    });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues).toEqual(
      expect.arrayContaining([expect.stringMatching(/^config\.classes\.fast\.bytesScannedCutoffPerQuery: /)]),
    );
    const semantic = errorOf({
      defaultClass: 'missing',
      classes: { fast: { guaranteedSlots: 3, maxSlots: 2 } },
    });
    expect(semantic.issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^config\.classes\.fast\.guaranteedSlots: guaranteedSlots \(3\) is more than maxSlots \(2\)/,
        ),
        expect.stringMatching(/^config\.defaultClass: defaultClass 'missing' is not one of the classes/),
      ]),
    );
  });

  it('refuses guarantees that add up to more than the quota minus headroom', () => {
    const error = errorOf({
      quota: { activeDmlQueries: 5, headroom: 1 },
      defaultClass: 'a',
      classes: { a: { guaranteedSlots: 3, maxSlots: 4 }, b: { guaranteedSlots: 2, maxSlots: 4 } },
    });
    expect(error.message).toMatch(
      /config\.classes: the classes' guaranteedSlots add up to 5, more than the quota minus headroom \(4\)/,
    );
  });

  it('refuses unknown keys so typos do not pass silently', () => {
    const error = errorOf({ defaultClass: 'a', classes: { a: { guaranteedSlots: 0, maxSlot: 1 } } });
    expect(error.message).toMatch(/config\.classes\.a/);
  });

  it('refuses two classes on one workgroup', () => {
    const error = errorOf({
      defaultClass: 'a',
      classes: {
        a: { guaranteedSlots: 0, maxSlots: 1, workgroupName: 'wg' },
        b: { guaranteedSlots: 0, maxSlots: 1, workgroupName: 'wg' },
      },
    });
    expect(error.message).toMatch(
      /config\.classes\.b\.workgroupName: workgroup 'wg' is already used by class 'a'/,
    );
  });

  it("uses the live quota when the config says 'service-quotas', and clamps class caps to it", () => {
    const config = parseConfig({
      quota: { activeDmlQueries: 'service-quotas', headroom: 2 },
      defaultClass: 'a',
      classes: { a: { guaranteedSlots: 2, maxSlots: 50 } },
    });
    expect(admissionPolicy(config, 10)).toEqual({
      capacity: 8,
      classes: {
        a: {
          guaranteedSlots: 2,
          maxSlots: 8,
          weight: 1,
          preemptible: false,
          holdSeconds: 1800 + TIME_LIMIT_SLACK_SECONDS,
          maxReclaimSeconds: 0,
        },
      },
    });
    expect(() => admissionPolicy(config)).toThrow(/service-quotas/);
  });
});

describe('config errors for class names', () => {
  it('says what a class name may be', () => {
    const error = errorOf({
      defaultClass: 'Bad Name',
      classes: { 'Bad Name': { guaranteedSlots: 0, maxSlots: 1 } },
    });
    expect(error.issues).toContain(
      'config.classes.Bad Name: class names are 1 to 32 lowercase letters, digits or dashes',
    );
  });
});
