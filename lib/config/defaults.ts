import type { WlmConfigInput } from './schema';

const GB = 1_000_000_000;
const TB = 1000 * GB;

/**
 * The case study's five classes (../shared/mission): production ETL, which runs at 30-70% of the quota,
 * keeps a guaranteed share sized for its peaks (12 of the 18 slots under quota 20 minus headroom 2);
 * data scientists get a small capped share, and ad-hoc work gets little until an admin raises it. The
 * sizing comes from `npm run bench` (bench/RESULTS.md): smaller ETL guarantees made ETL wait at peaks.
 */
export const DEFAULT_CONFIG: WlmConfigInput = {
  quota: { activeDmlQueries: 20, headroom: 2, alarmAtPercent: 80 },
  defaultClass: 'adhoc',
  classes: {
    predictable: {
      description: 'Mature, predictable ETL queries: a guaranteed share, hourly data limit +10%',
      guaranteedSlots: 12,
      maxSlots: 14,
      hourlyDataLimit: { expectedBytes: 500 * GB, bufferPercent: 10 },
      timeoutMinutes: 60,
    },
    fast: {
      description: 'Quick queries: a per-query scan cutoff with no buffer, cheap to retry',
      guaranteedSlots: 2,
      maxSlots: 4,
      bytesScannedCutoffPerQuery: 1 * GB,
      timeoutMinutes: 5,
    },
    long: {
      description: 'Long-running queries: daily data limit +100% so they finish',
      guaranteedSlots: 1,
      maxSlots: 3,
      dailyDataLimit: { expectedBytes: 5 * TB, bufferPercent: 100 },
      timeoutMinutes: 240,
    },
    exploratory: {
      description:
        "Data scientists' experiments: capped slots, hourly limit at 70% of what would harm production",
      guaranteedSlots: 1,
      maxSlots: 3,
      hourlyDataLimit: { expectedBytes: 1 * TB, bufferPercent: -30 },
      warnSubmitter: true,
      timeoutMinutes: 30,
    },
    adhoc: {
      description: 'Ad-hoc queries: tiny limits, raised by an admin when needed',
      guaranteedSlots: 0,
      maxSlots: 2,
      bytesScannedCutoffPerQuery: 10 * GB,
      hourlyDataLimit: { expectedBytes: 50 * GB, bufferPercent: 0 },
      timeoutMinutes: 30,
    },
  },
};
