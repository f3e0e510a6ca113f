/**
 * The one message group of the dispatcher's FIFO wake queue: every wake event (from the handlers, the
 * state machine, the sweep schedule and the config-change rule) is taken in one order.
 */
export const WAKE_MESSAGE_GROUP = 'dispatch';
