import { consolePage } from "../console-page";
import { DeadLetters } from "./dead-letters";

export const dynamic = "force-dynamic";
export const metadata = { title: "Dead letters" };

export default async function DeadLettersPage() {
  await consolePage();
  return (
    <>
      <h1>Dead letters</h1>
      <p className="lede">
        Jobs the outbox gave up on after their last attempt. Replay one once its cause is fixed (it gets a fresh attempt budget, and a
        replay is as safe as the first run), or discard it on purpose. Both need a reason, kept in the audit trail.
      </p>
      <DeadLetters />
    </>
  );
}
