import { z } from 'zod';

/** Athena's smallest allowed `BytesScannedCutoffPerQuery` (10 MB). */
export const MIN_BYTES_SCANNED_CUTOFF = 10_000_000;

const className = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, 'class names are 1 to 32 lowercase letters, digits or dashes');

/**
 * A number of slots, or a share of the capacity (`"40%"`, of quota minus headroom), so that one config
 * follows the account's live quota.
 */
const slotCount = (min: number) =>
  z.union([
    z.number().int().min(min),
    z
      .string()
      .regex(/^\d{1,3}(\.\d+)?%$/, 'a share of capacity is written like "25%"')
      .refine((s) => Number.parseFloat(s) <= 100, 'a share of capacity is at most "100%"'),
  ]);
export type SlotCount = z.output<ReturnType<typeof slotCount>>;

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
    /** Slots the class may always use, whatever other classes do: a number, or a share like "50%". */
    guaranteedSlots: slotCount(0),
    /** Most slots the class may hold, borrowing idle capacity above its guarantee: a number or a share. */
    maxSlots: slotCount(1),
    /**
     * Share of the capacity above guarantees, relative to the other classes (Trino's `schedulingWeight`):
     * at a free slot, the class with the fewest running queries above its guarantee per unit of weight goes first.
     */
    schedulingWeight: z.number().int().min(1).max(1000).default(1),
    /**
     * Whether a query of this class that runs on a slot borrowed from another class's idle guarantee may
     * be stopped (and run again first in its line) when that class needs the slot back. A stopped query is
     * billed for what it scanned before the stop.
     */
    preemptible: z.boolean().default(false),
    /**
     * Longest this class waits to get back a guaranteed slot it lent while idle, in seconds. Its idle
     * guarantee is lent only to preemptible classes and to classes whose `timeoutMinutes`, plus the two
     * minutes it may take to stop a query past it, fits in it.
     */
    maxReclaimSeconds: z.number().int().min(0).max(86_400).default(0),
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
    /**
     * Also let the class's submitters run queries in its workgroup directly (Athena console, JDBC),
     * outside athena-wlm: those queries skip the line, the slots and the ledger, count against the
     * account's quota unseen, and can push athena-wlm's own queries into throttling. Off by default.
     */
    directAthenaAccess: z.boolean().default(false),
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
    if (sameUnit(c.guaranteedSlots, c.maxSlots) && amountOf(c.guaranteedSlots) > amountOf(c.maxSlots)) {
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
    /**
     * A stage (`dev`, `stg`): suffixes the name prefix, the explicit workgroup names and the stack, and
     * gives the stage its own metrics namespace, so that several stages share an account. `-c stage=`
     * overrides it.
     */
    stage: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,11}$/, 'a stage is 1 to 12 lowercase letters, digits or dashes')
      .optional(),
    /** Prefix for the names of resources users see (workgroups, queues, dashboard). */
    namePrefix: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,23}$/)
      .default('athena-wlm'),
    quota: z
      .object({
        /** Account Active DML query quota: a number, or 'service-quotas' to read L-FC5F6546 at run time. */
        activeDmlQueries: z
          .union([z.number().int().min(1), z.literal('service-quotas')])
          .default('service-quotas'),
        /** Slots kept free for Athena traffic that does not go through athena-wlm (console, BI tools): a number or a share of the quota. */
        headroom: slotCount(0).default('10%'),
        /** Alert admins when the account's active queries pass this share of the quota, in percent. */
        alarmAtPercent: z.number().min(1).max(100).default(80),
      })
      .strict()
      .default({ activeDmlQueries: 'service-quotas', headroom: '10%', alarmAtPercent: 80 }),
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
        /**
         * Most queries the dispatcher starts per second: Athena's StartQueryExecution rate quota (20 per
         * second by default), which the dispatcher never exceeds.
         */
        startsPerSecond: z.number().int().min(1).max(1000).default(20),
        /** Receives of one `queries` message before SQS parks it as poison (its handling kept failing). */
        maxReceives: z.number().int().min(2).max(1000).default(10),
      })
      .strict()
      .default({ startsPerSecond: 20, maxReceives: 10 }),
    /**
     * S3 buckets holding the data the queries read (names). Athena reads table data with the credentials
     * of the state machine that starts the query, so a bucket not listed here cannot be queried on AWS.
     */
    dataBuckets: z
      .array(
        z
          .string()
          .regex(
            /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
            'a data bucket is an S3 bucket name (3 to 63 lowercase letters, digits, . or -), without s3:// or a key',
          ),
      )
      .default([]),
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
    /** The local runtime's engine (DuckDB standing in for Athena); not used on AWS. */
    localEngine: z
      .object({
        /** Memory one query may use, in MiB; a query past it fails EXCEEDED_LOCAL_MEMORY_LIMIT. */
        queryMemoryMb: z.number().int().min(64).default(2048),
        /** Threads one query may use. @default one per core */
        queryThreads: z.number().int().min(1).max(64).optional(),
      })
      .strict()
      .default({ queryMemoryMb: 2048 }),
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
    const percentOfGuarantees = Object.values(cfg.classes).reduce(
      (sum, c) => sum + (typeof c.guaranteedSlots === 'string' ? amountOf(c.guaranteedSlots) : 0),
      0,
    );
    if (percentOfGuarantees > 100) {
      ctx.addIssue({
        code: 'custom',
        path: ['classes'],
        message: `the classes' guaranteedSlots shares add up to ${percentOfGuarantees}% of capacity, more than 100%`,
      });
    }
    if (typeof cfg.quota.activeDmlQueries === 'number') {
      const quota = cfg.quota.activeDmlQueries;
      const capacity = quota - slotsOf(cfg.quota.headroom, quota);
      if (capacity < 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['quota', 'headroom'],
          message: `headroom (${cfg.quota.headroom}) leaves no slot of the quota (${quota})`,
        });
      }
      const guaranteed = Object.values(cfg.classes).reduce(
        (sum, c) => sum + slotsOf(c.guaranteedSlots, capacity),
        0,
      );
      if (guaranteed > capacity) {
        ctx.addIssue({
          code: 'custom',
          path: ['classes'],
          message: `the classes' guaranteedSlots add up to ${guaranteed}, more than the quota minus headroom (${capacity}); lower the guarantees or raise quota.activeDmlQueries`,
        });
      }
      for (const [name, c] of Object.entries(cfg.classes)) {
        if (typeof c.maxSlots === 'number' && c.maxSlots > capacity) {
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

function amountOf(count: SlotCount): number {
  return typeof count === 'number' ? count : Number.parseFloat(count);
}

function sameUnit(a: SlotCount, b: SlotCount): boolean {
  return typeof a === typeof b;
}

/**
 * Slots a count stands for out of `of`: a number as it is, a share rounded to the nearest slot.
 * Used for headroom (of the quota) and class limits (of the capacity).
 */
export function slotsOf(count: SlotCount, of: number): number {
  return typeof count === 'number' ? count : Math.round((Number.parseFloat(count) / 100) * of);
}
