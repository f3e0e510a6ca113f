/** Exit codes of `athena-wlm`: scripts branch on these. */
export const ExitCode = {
  /** The command did what was asked (for `--wait`: the query SUCCEEDED). */
  Ok: 0,
  /** The query ended FAILED or CANCELLED, or the API refused the request about it (4xx). */
  QueryFailed: 1,
  /** A bad flag or argument: nothing was sent. */
  Usage: 2,
  /** The endpoint cannot be reached, refused the credentials, or failed (5xx). */
  Unreachable: 3,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as it is: what happened, then what to do, then exits with its code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    /** What to do about it, one line or more. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
