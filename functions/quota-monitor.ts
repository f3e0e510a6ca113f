import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { SNSClient } from '@aws-sdk/client-sns';
import { workgroupNameOf } from '../contracts/config';
import { ENV } from '../contracts/env';
import { classDimension } from '../contracts/metrics';
import {
  dispatchStoreFromEnv,
  lambdaLogger,
  ledgerFromEnv,
  once,
  systemClock,
} from './adapters/aws/aws-runtime';
import { CloudWatchUsage } from './adapters/aws/cloudwatch-usage';
import { documentClient } from './adapters/aws/dynamodb-ledger';
import { configFromEnv, requireEnv } from './adapters/aws/environment';
import { powertoolsHandler, traced } from './adapters/aws/powertools';
import { PowertoolsMetrics } from './adapters/aws/powertools-metrics';
import { ServiceQuotaReader } from './adapters/aws/service-quota';
import { SnsAlertPublisher } from './adapters/aws/sns-alert-publisher';
import { usageOf } from './core/dispatch-policy';
import { alertMessage, type QuotaAlert, quotaAlerts, recentSubmitters } from './core/quota-check';

const ddb = documentClient(traced(new DynamoDBClient({})));
const cloudwatch = traced(new CloudWatchClient({}));
const serviceQuotas = traced(new ServiceQuotasClient({}));
const sns = traced(new SNSClient({}));
const logger = lambdaLogger('quota-monitor');
const metrics = new PowertoolsMetrics();

/** The same alerts are not sent again within this time by one container (the monitor runs every minute). */
export const REPEAT_ALERT_AFTER_MS = 60 * 60_000;

const deps = once(() => {
  const config = configFromEnv();
  return {
    config,
    ledger: ledgerFromEnv(ddb, config),
    slots: dispatchStoreFromEnv(ddb),
    usage: new CloudWatchUsage(cloudwatch, systemClock),
    quota: new ServiceQuotaReader(serviceQuotas, systemClock),
    alerts: new SnsAlertPublisher(sns, requireEnv(ENV.alertTopicArn)),
  };
});

let lastSent: { readonly fingerprint: string; readonly at: number } | undefined;

export interface QuotaMonitorResult {
  readonly alerts: readonly QuotaAlert[];
  readonly published: boolean;
}

/**
 * Quota monitor (scheduled): compares account load with the live quota and each class's data usage with
 * its limits, emits `SlotsInUse` per class and `AccountActiveQueries`, and sends the admins one SNS
 * message summarizing any alerts.
 */
export const handler = powertoolsHandler(logger, async (): Promise<QuotaMonitorResult> => {
  const { config, ledger, slots, usage, quota, alerts: publisher } = deps();
  const now = systemClock();
  try {
    const workgroups = Object.fromEntries(
      Object.keys(config.classes).map((name) => [name, workgroupNameOf(config, name)]),
    );
    const [reading, holders, liveQuota] = await Promise.all([
      usage.read(workgroups),
      slots.holders(),
      typeof config.quota.activeDmlQueries === 'number'
        ? Promise.resolve(config.quota.activeDmlQueries)
        : quota.activeDmlQueries(),
    ]);
    const slotsInUse = usageOf(holders);
    for (const name of Object.keys(config.classes)) {
      metrics.gauge('SlotsInUse', slotsInUse[name] ?? 0, classDimension(name));
    }
    metrics.gauge('AccountActiveQueries', reading.accountActiveQueries);

    const alerts = quotaAlerts(config, { quota: liveQuota, slotsInUse, ...reading });
    if (alerts.length === 0) {
      lastSent = undefined;
      logger.info('no alerts', { quota: liveQuota, accountActiveQueries: reading.accountActiveQueries });
      return { alerts, published: false };
    }
    const fingerprint = alerts.map((a) => `${a.severity}:${a.scope}:${a.message}`).join('\n');
    if (lastSent?.fingerprint === fingerprint && now.getTime() - lastSent.at < REPEAT_ALERT_AFTER_MS) {
      logger.info('alerts unchanged since the last message', { alerts: alerts.length });
      return { alerts, published: false };
    }
    const since = new Date(now.getTime() - 60 * 60_000);
    const submitters: Record<string, string[]> = {};
    for (const cls of new Set(alerts.filter((a) => a.warnSubmitters).map((a) => a.scope))) {
      const page = await ledger.list({ className: cls, limit: 100 });
      submitters[cls] = recentSubmitters(page.items, since);
    }
    const { subject, message } = alertMessage(alerts, submitters);
    await publisher.publish(subject, message, {
      severity: alerts.some((a) => a.severity === 'critical') ? 'critical' : 'warning',
      scopes: [...new Set(alerts.map((a) => a.scope))].join(','),
    });
    lastSent = { fingerprint, at: now.getTime() };
    logger.warn('alerts sent', { alerts: alerts.map((a) => a.message) });
    return { alerts, published: true };
  } finally {
    metrics.flush();
  }
});
