// Payment to access, as the metrics and the console's dashboard both count it: each checkout
// received in a window, with when its customer got access (the first Circle grant created within a
// day after the checkout that succeeded; null while none has).
//
// The status is compared as text so each checkout's lookup goes by the customer's index alone:
// with statistics lagging a fast-growing outbox, the planner also read the status index (every
// succeeded job, for each checkout), and a metrics scrape took 15 s during the soak (283 ms this way).

/**
 * SQL selecting `"receivedAt"` and `"accessAt"` for the checkouts whose arrival satisfies `window`
 * (a condition on `e."receivedAt"`), the grant's job kind being the placeholder `kindParam` (such as "$1").
 */
export const checkoutsWithAccessSql = (window: string, kindParam: string) => `
SELECT e."receivedAt",
       (SELECT min(j."finishedAt") FROM "Job" j
         WHERE j."customerId" = e."customerId" AND j.kind = ${kindParam} AND j.status::text = 'succeeded'
           AND j."createdAt" >= e."receivedAt" AND j."createdAt" < e."receivedAt" + interval '1 day') AS "accessAt"
  FROM "WebhookEvent" e
 WHERE e.provider = 'stripe' AND e.type = 'checkout.session.completed' AND e."customerId" IS NOT NULL
   AND ${window}`;
