import { z } from 'zod';

/** Athena's smallest allowed `BytesScannedCutoffPerQuery` (10 MB). */
export const MIN_BYTES_SCANNED_CUTOFF = 10_000_000;

const className = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, 'class names are 1 to 32 lowercase letters, digits or dashes');

const dataLimit = z
  .object({
    /** Bytes the class is expected to scan in the period (from history or a plan). */
    expectedBytes: z.number().int().positive(),
    /** Allowance on top of the expectation, in percent: 10 means +10%, -30 means 70% of it. */
    bufferPercent: z.number().min(-99).max(1000).default(0),
  })
  .strict();

export const workloadClassSchema = z
  .object({
    /** What the class is for, shown in the console and the dashboard. */
    description: z.string().default(''),
    /** Athena workgroup name; defaults to `<namePrefix>-<class>`. */
    workgroupName: z
      .string()
      .regex(/^[a-zA-Z0-9._-]{1,128}$/, 'Athena workgroup names are 1 to 128 of a-z A-Z 0-9 . _ -')
      .optional(),
    /** Slots the class may always use, whatever other classes do. */
    guaranteedSlots: z.number().int().min(0),
    /** Most slots the class may hold, borrowing unreserved capacity above its guarantee. */
    maxSlots: z.number().int().min(1),
    /** Athena cancels a query of this class once it has scanned this many bytes (min 10 MB). */
    bytesScannedCutoffPerQuery: z.number().int().min(MIN_BYTES_SCANNED_CUTOFF).optional(),
    /** Hourly data usage limit: alarm when the class scans more than expected + buffer in an hour. */
    hourlyDataLimit: dataLimit.optional(),
    /** Daily data usage limit: alarm when the class scans more than expected + buffer in a day. */
    dailyDataLimit: dataLimit.optional(),
    /** Longest a query of this class may run before its execution is stopped, in minutes. */
    timeoutMinutes: z.number().int().min(1).max(240).default(30),
    /** Longest a query may wait for a slot before it ends FAILED (a bounded line), in minutes. */
    maxQueueWaitMinutes: z.number().int().min(1).max(1440).default(180),
    /** Email addresses told when this class nears or passes its limits. */
    alertEmails: z.array(z.email()).default([]),
    /** Also tell the submitter (by the userId they gave) when their query passes a limit. */
    warnSubmitter: z.boolean().default(false),
    /** IAM principal ARNs allowed to submit to this class (they get its managed policy). */
    submitterArns: z.array(z.string().startsWith('arn:')).default([]),
    /**
     * Let the class's members (its submitterArns, any session of those roles) read and cancel each
     * other's queries in this class; otherwise only the submitter and the admins may.
     */
    shareWithinClass: z.boolean().default(false),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.guaranteedSlots > c.maxSlots) {
      ctx.addIssue({
        code: 'custom',
        path: ['guaranteedSlots'],
        message: `guaranteedSlots (${c.guaranteedSlots}) is more than maxSlots (${c.maxSlots}); raise maxSlots or lower the guarantee`,
      });
    }
  });

const throttleRetry = z
  .object({
    intervalSeconds: z.number().int().min(1).default(2),
    backoffRate: z.number().min(1).max(10).default(2),
    maxDelaySeconds: z.number().int().min(1).default(60),
    maxAttempts: z.number().int().min(0).max(20).default(6),
  })
  .strict();

export const wlmConfigSchema = z
  .object({
    /** Prefix for the names of resources users see (workgroups, queues, dashboard). */
    namePrefix: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,23}$/)
      .default('athena-wlm'),
    quota: z
      .object({
        /** Account Active DML query quota: a number, or 'service-quotas' to read L-FC5F6546 at run time. */
        activeDmlQueries: z.union([z.number().int().min(1), z.literal('service-quotas')]).default(20),
        /** Slots kept free for Athena traffic that does not go through athena-wlm (console, BI tools). */
        headroom: z.number().int().min(0).default(2),
        /** Alert admins when the account's active queries pass this share of the quota, in percent. */
        alarmAtPercent: z.number().min(1).max(100).default(80),
      })
      .strict()
      .default({ activeDmlQueries: 20, headroom: 2, alarmAtPercent: 80 }),
    /** Class that `POST /athena/query` (the reference sample's route) submits to. */
    defaultClass: className.default('adhoc'),
    classes: z.record(className, workloadClassSchema),
    throttleRetry: throttleRetry.default({
      intervalSeconds: 2,
      backoffRate: 2,
      maxDelaySeconds: 60,
      maxAttempts: 6,
    }),
    redrive: z
      .object({
        /** How often deferred queries are moved back to the main queue, in minutes. */
        everyMinutes: z.number().int().min(1).max(60).default(1),
        /** Most deferred messages moved per run (bounds a run's work and cost). */
        maxMessagesPerRun: z.number().int().min(1).max(1000).default(100),
        /** Redrives before a query is parked in the failed queue with status FAILED. */
        maxRedrives: z.number().int().min(0).max(100).default(10),
      })
      .strict()
      .default({ everyMinutes: 1, maxMessagesPerRun: 100, maxRedrives: 10 }),
    admission: z
      .object({
        /** First wait before a query that found no slot is looked at again, in seconds. */
        initialWaitSeconds: z.number().int().min(1).max(900).default(2),
        /** Longest wait between looks, in seconds (the wait doubles up to this). */
        maxWaitSeconds: z.number().int().min(1).max(43_200).default(20),
        /** Receives of one message before it is parked as poison (a bad message, not a busy class). */
        maxReceives: z.number().int().min(10).max(1000).default(1000),
      })
      .strict()
      .default({ initialWaitSeconds: 2, maxWaitSeconds: 20, maxReceives: 1000 }),
    /** Glue databases that classes may read (their IAM policies name these). */
    glueDatabases: z.array(z.string().min(1)).default(['default']),
    /** Email addresses told about account-wide trouble (quota, failed queue, slot leaks). */
    adminEmails: z.array(z.email()).default([]),
    /**
     * IAM principal ARNs (a role covers all its sessions) that may read and cancel every query, and the
     * only ones that may read queries recorded without a submitter.
     */
    adminArns: z.array(z.string().startsWith('arn:')).default([]),
    /** Days Athena results are kept in the results bucket. */
    resultsRetentionDays: z.number().int().min(1).default(30),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const names = Object.keys(cfg.classes);
    if (names.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['classes'], message: 'declare at least one workload class' });
    }
    if (!names.includes(cfg.defaultClass)) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultClass'],
        message: `defaultClass '${cfg.defaultClass}' is not one of the classes (${names.join(', ')})`,
      });
    }
    if (typeof cfg.quota.activeDmlQueries === 'number') {
      const capacity = cfg.quota.activeDmlQueries - cfg.quota.headroom;
      if (capacity < 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['quota', 'headroom'],
          message: `headroom (${cfg.quota.headroom}) leaves no slot of the quota (${cfg.quota.activeDmlQueries})`,
        });
      }
      const guaranteed = Object.values(cfg.classes).reduce((sum, c) => sum + c.guaranteedSlots, 0);
      if (guaranteed > capacity) {
        ctx.addIssue({
          code: 'custom',
          path: ['classes'],
          message: `the classes' guaranteedSlots add up to ${guaranteed}, more than the quota minus headroom (${capacity}); lower the guarantees or raise quota.activeDmlQueries`,
        });
      }
      for (const [name, c] of Object.entries(cfg.classes)) {
        if (c.maxSlots > capacity) {
          ctx.addIssue({
            code: 'custom',
            path: ['classes', name, 'maxSlots'],
            message: `maxSlots (${c.maxSlots}) is more than the quota minus headroom (${capacity})`,
          });
        }
      }
    }
    const workgroups = new Map<string, string>();
    for (const name of names) {
      const wg = cfg.classes[name].workgroupName ?? `${cfg.namePrefix}-${name}`;
      const other = workgroups.get(wg);
      if (other) {
        ctx.addIssue({
          code: 'custom',
          path: ['classes', name, 'workgroupName'],
          message: `workgroup '${wg}' is already used by class '${other}'`,
        });
      }
      workgroups.set(wg, name);
    }
  });

/** The config as written by a user (defaults optional). */
export type WlmConfigInput = z.input<typeof wlmConfigSchema>;
/** The validated config, defaults filled in. */
export type WlmConfig = z.output<typeof wlmConfigSchema>;
export type WorkloadClassConfig = z.output<typeof workloadClassSchema>;
export type ThrottleRetryConfig = WlmConfig['throttleRetry'];
