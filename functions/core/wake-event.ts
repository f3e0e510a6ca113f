import { z } from 'zod';
import { QUERY_ID_PATTERN } from '../../contracts/submission';

const queryId = z.string().regex(new RegExp(QUERY_ID_PATTERN));
const isoTime = z.iso.datetime({ offset: true });

/** A query's place in its class's line: the line is keyed per class and ordered by submission. */
export const lineKeySchema = z.object({
  queryId,
  className: z.string().min(1).max(64),
  submittedAt: isoTime,
});
export type LineKey = z.infer<typeof lineKeySchema>;

/**
 * What wakes the dispatcher. Every change that may let a waiting query start (or that removes one from
 * a line) is one of these, sent to the one queue the dispatcher reads in order; nothing polls.
 */
export const wakeEventSchema = z.discriminatedUnion('type', [
  /** An execution joins its class's line and waits for its task token (run-query's EnterLine). */
  lineKeySchema.extend({
    type: z.literal('enter'),
    attempt: z.number().int().min(1),
    executionArn: z.string().min(1),
    taskToken: z.string().min(1),
    /** When the class's maxQueueWaitMinutes runs out (the execution's own timeout ends it then). */
    waitUntil: isoTime,
    /**
     * When the run entered EnterLine ($$.State.EnteredTime). A run of the same attempt that entered later
     * (the local runtime runs an interrupted execution again from the start, with a new task token)
     * takes the place of an earlier one, never the other way round. Absent in older messages.
     */
    sentAt: isoTime.optional(),
  }),
  /** An execution gave its slot back (every path of run-query, a cancel, a stop, the reconciler). */
  z.object({
    type: z.literal('release'),
    queryId,
    /** The execution that held the slot; a release of an older attempt leaves a newer one's slot alone. */
    executionArn: z.string().min(1).optional(),
  }),
  /**
   * A waiting query leaves its line without running: cancelled by a user, out of queue time, or its
   * execution ended while it waited (stopped from outside athena-wlm; the reconciler says so).
   */
  lineKeySchema.extend({
    type: z.literal('leave'),
    why: z.enum(['cancelled', 'timed-out', 'ended']),
    /** The execution that waited; a slot given to it just before is given back too. */
    executionArn: z.string().min(1).optional(),
  }),
  /** The periodic safety sweep, a config change, a start: look at everything. */
  z.object({ type: z.literal('sweep'), why: z.string().max(200).optional() }),
]);
export type WakeEvent = z.infer<typeof wakeEventSchema>;

/** The dispatcher's wake-up queue (an SQS FIFO queue with one message group on AWS, in-process locally). */
export interface Wake {
  send(event: WakeEvent): Promise<void>;
}

/** Error name of a waiting execution whose query was cancelled (the dispatcher fails its task token). */
export const LINE_CANCELLED_ERROR = 'athena-wlm.Cancelled';
/** Error name of a waiting execution whose class is no longer in the config. */
export const UNKNOWN_CLASS_ERROR = 'athena-wlm.UnknownClass';
/** Error name of an execution stopped so that a lender gets its guaranteed slot back. */
export const PREEMPTED_STOP_ERROR = 'athena-wlm.Preempted';
