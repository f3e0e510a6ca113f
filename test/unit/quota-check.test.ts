import { DEFAULT_CONFIG, parseConfig } from '../../contracts/config';
import type { QueryRecord } from '../../functions/core/query-record';
import { alertMessage, quotaAlerts, recentSubmitters } from '../../functions/core/quota-check';

const config = parseConfig(DEFAULT_CONFIG); // quota 20, headroom 2, alert at 80%
const GB = 1_000_000_000;
const quiet = { quota: 20, accountActiveQueries: 3, slotsInUse: { fast: 3 }, processedBytes: {} };

describe('quotaAlerts', () => {
  it('is quiet when load and data usage are within their limits', () => {
    expect(quotaAlerts(config, quiet)).toEqual([]);
  });

  it('warns at alarmAtPercent of the quota and is critical at the quota', () => {
    expect(quotaAlerts(config, { ...quiet, accountActiveQueries: 16, slotsInUse: { fast: 16 } })).toEqual([
      expect.objectContaining({
        severity: 'warning',
        scope: 'account',
        message: expect.stringContaining('80%'),
      }),
    ]);
    expect(
      quotaAlerts(config, { ...quiet, accountActiveQueries: 20, slotsInUse: { fast: 20 } })[0],
    ).toMatchObject({
      severity: 'critical',
    });
  });

  it('warns when traffic outside athena-wlm uses more than the headroom', () => {
    const alerts = quotaAlerts(config, { ...quiet, accountActiveQueries: 8, slotsInUse: { fast: 5 } });
    expect(alerts).toEqual([
      expect.objectContaining({
        scope: 'account',
        message: expect.stringContaining('3 active queries come from outside'),
      }),
    ]);
  });

  it('warns near and alerts past a class hourly or daily limit, with the buffer applied', () => {
    // predictable: 500 GB expected +10% = 550 GB an hour; long: 5 TB +100% = 10 TB a day.
    const alerts = quotaAlerts(config, {
      ...quiet,
      processedBytes: {
        predictable: { lastHour: 450 * GB, lastDay: 450 * GB },
        long: { lastHour: 0, lastDay: 11_000 * GB },
      },
    });
    expect(alerts).toEqual([
      expect.objectContaining({
        severity: 'warning',
        scope: 'predictable',
        message: expect.stringContaining('hourly limit of 550 GB'),
      }),
      expect.objectContaining({
        severity: 'critical',
        scope: 'long',
        message: expect.stringContaining('daily limit of 10 TB'),
      }),
    ]);
    expect(alerts.every((a) => !a.warnSubmitters)).toBe(true);
  });

  it('asks to warn the submitters of a class that wants it (exploratory)', () => {
    const [alert] = quotaAlerts(config, {
      ...quiet,
      processedBytes: { exploratory: { lastHour: 701 * GB, lastDay: 0 } },
    });
    expect(alert).toMatchObject({ scope: 'exploratory', severity: 'critical', warnSubmitters: true });
  });
});

describe('alertMessage and recentSubmitters', () => {
  it('summarizes alerts in one message and names the submitters to warn', () => {
    const { subject, message } = alertMessage(
      [
        { severity: 'critical', scope: 'exploratory', message: 'over', warnSubmitters: true },
        { severity: 'warning', scope: 'account', message: 'near', warnSubmitters: false },
      ],
      { exploratory: ['dana', 'eve'] },
    );
    expect(subject).toBe('athena-wlm: 1 limit(s) reached');
    expect(message).toContain('[CRITICAL] over');
    expect(message).toContain('exploratory: dana, eve');
  });

  it('lists who submitted recently, by label or else by principal', () => {
    const r = (queryId: string, submittedAt: string, who: Partial<QueryRecord>) =>
      ({ queryId, submittedAt, ...who }) as QueryRecord;
    expect(
      recentSubmitters(
        [
          r('a', '2026-01-01T11:50:00Z', { userId: 'dana' }),
          r('b', '2026-01-01T11:55:00Z', { submittedBy: 'arn:aws:iam::1:user/eve' }),
          r('c', '2026-01-01T10:00:00Z', { userId: 'old' }),
          r('d', '2026-01-01T11:56:00Z', { userId: 'dana' }),
        ],
        new Date('2026-01-01T11:00:00Z'),
      ),
    ).toEqual(['dana', 'arn:aws:iam::1:user/eve']);
  });
});
