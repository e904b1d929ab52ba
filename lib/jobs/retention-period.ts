// How long the outbox keeps a finished job (lib/jobs/retention.ts), apart so the env's schema can
// name the bounds without loading the outbox.

export const DEFAULT_JOB_RETENTION_DAYS = 30;
/** The dashboard's payment to access reads checkouts of the last 7 days and their grants a day later. */
export const MIN_JOB_RETENTION_DAYS = 14;
