import type { WlmConfig } from '../../contracts/config';
import { limitWithBuffer, slotsOf } from '../../contracts/config';

import type { QueryRecord } from './query-record';

/** What the quota monitor measured in one run. */
export interface QuotaReading {
  /** The account's Active DML query quota (live from Service Quotas, or the configured number). */
  readonly quota: number;
  /** Active DML queries in the account (AWS/Usage ResourceCount, latest 1-minute maximum; 0 when idle). */
  readonly accountActiveQueries: number;
  /** Slots athena-wlm's queries hold, per class. */
  readonly slotsInUse: Readonly<Record<string, number>>;
  /** Bytes each class's workgroup scanned (AWS/Athena ProcessedBytes) in the last hour and day. */
  readonly processedBytes: Readonly<Record<string, { readonly lastHour: number; readonly lastDay: number }>>;
}

export interface QuotaAlert {
  readonly severity: 'warning' | 'critical';
  /** 'account', or the class the alert is about. */
  readonly scope: string;
  readonly message: string;
  /** The class asks that its submitters be told too (`warnSubmitter`). */
  readonly warnSubmitters: boolean;
}

/**
 * Alerts for one reading: account load near or at the quota, traffic outside athena-wlm eating more than
 * the headroom, and each class's data usage near or past its hourly and daily limits (expected usage
 * plus buffer). "Near" is `quota.alarmAtPercent` of the limit.
 */
export function quotaAlerts(config: WlmConfig, reading: QuotaReading): QuotaAlert[] {
  const alerts: QuotaAlert[] = [];
  const share = config.quota.alarmAtPercent / 100;
  const { quota, accountActiveQueries: active } = reading;
  const ours = Object.values(reading.slotsInUse).reduce((sum, n) => sum + n, 0);
  const load = Math.max(active, ours);

  if (load >= quota) {
    alerts.push({
      severity: 'critical',
      scope: 'account',
      message:
        `The account has ${load} active DML queries, at its Athena quota of ${quota}: new queries are ` +
        'rejected with TooManyRequestsException and athena-wlm defers them. Raise the quota ' +
        '(Service Quotas L-FC5F6546) or lower the load.',
      warnSubmitters: false,
    });
  } else if (load >= Math.ceil(quota * share)) {
    alerts.push({
      severity: 'warning',
      scope: 'account',
      message:
        `The account has ${load} active DML queries, ${percent(load, quota)} of its Athena quota of ` +
        `${quota} (alert at ${config.quota.alarmAtPercent}%).`,
      warnSubmitters: false,
    });
  }

  const outside = Math.max(0, active - ours);
  const headroom = slotsOf(config.quota.headroom, quota);
  if (outside > headroom) {
    alerts.push({
      severity: 'warning',
      scope: 'account',
      message:
        `${outside} active queries come from outside athena-wlm (console, BI tools), more than the ` +
        `${headroom} slots kept for them (quota.headroom ${config.quota.headroom}); athena-wlm's own queries may be ` +
        'throttled and deferred. Raise quota.headroom or route that traffic through athena-wlm.',
      warnSubmitters: false,
    });
  }

  for (const [name, cls] of Object.entries(config.classes)) {
    const used = reading.processedBytes[name];
    if (!used) continue;
    const limits = [
      { period: 'hour', adjective: 'hourly', limit: cls.hourlyDataLimit, value: used.lastHour },
      { period: 'day', adjective: 'daily', limit: cls.dailyDataLimit, value: used.lastDay },
    ] as const;
    for (const { period, adjective, limit, value } of limits) {
      if (!limit) continue;
      const threshold = limitWithBuffer(limit);
      const how = `expected ${bytes(limit.expectedBytes)} ${limit.bufferPercent >= 0 ? '+' : ''}${limit.bufferPercent}%`;
      if (value >= threshold) {
        alerts.push({
          severity: 'critical',
          scope: name,
          message: `Class ${name} scanned ${bytes(value)} in the last ${period}, over its ${adjective} limit of ${bytes(threshold)} (${how}).`,
          warnSubmitters: cls.warnSubmitter,
        });
      } else if (value >= threshold * share) {
        alerts.push({
          severity: 'warning',
          scope: name,
          message: `Class ${name} scanned ${bytes(value)} in the last ${period}, ${percent(value, threshold)} of its ${adjective} limit of ${bytes(threshold)} (${how}).`,
          warnSubmitters: cls.warnSubmitter,
        });
      }
    }
  }
  return alerts;
}

/** The one message that summarizes a run's alerts (subject at most 100 characters, as SNS allows). */
export function alertMessage(
  alerts: readonly QuotaAlert[],
  submittersByClass: Readonly<Record<string, readonly string[]>> = {},
): { readonly subject: string; readonly message: string } {
  const critical = alerts.filter((a) => a.severity === 'critical').length;
  const subject = `athena-wlm: ${critical > 0 ? `${critical} limit(s) reached` : `${alerts.length} warning(s)`}`;
  const lines = alerts.map((a) => `[${a.severity.toUpperCase()}] ${a.message}`);
  const toWarn = Object.entries(submittersByClass).filter(([, who]) => who.length > 0);
  if (toWarn.length > 0) {
    lines.push('', 'Submitters to warn (their classes ask for it):');
    for (const [cls, who] of toWarn) lines.push(`  ${cls}: ${who.join(', ')}`);
  }
  return { subject: subject.slice(0, 100), message: lines.join('\n') };
}

/** Who submitted to a class since `since` (userId label, else the caller's ARN), most recent first. */
export function recentSubmitters(records: readonly QueryRecord[], since: Date): string[] {
  const who = new Set<string>();
  for (const r of [...records].sort((a, b) => b.submittedAt.localeCompare(a.submittedAt))) {
    if (Date.parse(r.submittedAt) < since.getTime()) continue;
    const name = r.userId ?? r.submittedBy;
    if (name) who.add(name);
  }
  return [...who];
}

function percent(value: number, of: number): string {
  return `${Math.round((value / of) * 100)}%`;
}

function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
