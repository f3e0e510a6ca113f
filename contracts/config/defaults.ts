import type { WlmConfigInput } from './schema';

const GB = 1_000_000_000;
const TB = 1000 * GB;

/**
 * The case study's five classes, as shares of whatever quota the account has (read from Service Quotas
 * on AWS). Production ETL, which runs at 30-70% of the quota, is the one class with a guarantee: half
 * the capacity, with a reclaim bound of ten minutes, and it may use all of it when nobody else needs
 * it. Above guarantees, ETL and long queries (which finish last, so they should start first) get the
 * largest shares. Quick queries (a 5-minute limit, stopped within 7) may borrow its idle guarantee because they end within that bound; long
 * queries, data scientists' experiments and ad-hoc work may borrow any idle slot but are pre-empted
 * (stopped and run again first in their line; the youngest borrower of the class furthest above its
 * share goes first, so little work is lost) when ETL needs its guarantee back. Caps keep quick,
 * exploratory and ad-hoc work from taking everything. The sizing comes from `npm run bench` (bench/RESULTS.md).
 */
export const DEFAULT_CONFIG: WlmConfigInput = {
  quota: { activeDmlQueries: 'service-quotas', headroom: '10%', alarmAtPercent: 80 },
  defaultClass: 'adhoc',
  classes: {
    predictable: {
      description: 'Mature, predictable ETL queries: a guaranteed share, hourly data limit +10%',
      guaranteedSlots: '50%',
      maxSlots: '100%',
      schedulingWeight: 4,
      maxReclaimSeconds: 600,
      hourlyDataLimit: { expectedBytes: 500 * GB, bufferPercent: 10 },
      timeoutMinutes: 60,
    },
    fast: {
      description: 'Quick queries: a per-query scan cutoff with no buffer, cheap to retry',
      guaranteedSlots: 0,
      maxSlots: '50%',
      schedulingWeight: 2,
      bytesScannedCutoffPerQuery: 1 * GB,
      timeoutMinutes: 5,
    },
    long: {
      description:
        'Long-running queries: daily data limit +100% so they finish; may borrow idle ETL slots (the youngest is re-run if ETL needs one back)',
      guaranteedSlots: 0,
      maxSlots: '100%',
      // They finish last: a large share of what is free lets them start early.
      schedulingWeight: 4,
      preemptible: true,
      dailyDataLimit: { expectedBytes: 5 * TB, bufferPercent: 100 },
      timeoutMinutes: 240,
    },
    exploratory: {
      description:
        "Data scientists' experiments: idle capacity when there is some (pre-empted when ETL needs it back), hourly limit at 70% of what would harm production",
      guaranteedSlots: 0,
      maxSlots: '60%',
      preemptible: true,
      hourlyDataLimit: { expectedBytes: 1 * TB, bufferPercent: -30 },
      warnSubmitter: true,
      timeoutMinutes: 30,
    },
    adhoc: {
      description:
        'Ad-hoc queries: tiny limits, raised by an admin when needed; pre-empted when capacity is needed',
      guaranteedSlots: 0,
      maxSlots: '20%',
      preemptible: true,
      bytesScannedCutoffPerQuery: 10 * GB,
      hourlyDataLimit: { expectedBytes: 50 * GB, bufferPercent: 0 },
      timeoutMinutes: 30,
    },
  },
};
