import { isProduction } from "@/lib/config";
import { DEMO_CUSTOMERS } from "@/lib/demo";
import { DemoHost } from "./demo-host";

export const dynamic = "force-dynamic";

export default function Home() {
  const demo = !isProduction();
  return (
    <main style={{ maxWidth: 760, margin: "0 auto", padding: "2rem 1rem", lineHeight: 1.5 }}>
      <h1>Entitled</h1>
      <p>
        One customer record for Stripe, Circle and Kit, and a support chat that answers from it. Stripe and Kit webhooks
        are verified and recorded; the worker keeps Circle access and Kit tags in step with what customers paid for.
      </p>
      {demo ? (
        <>
          <h2>Demo</h2>
          <p>Pick a seeded customer to sign in as, then ask the support chat about their access or billing.</p>
          <DemoHost customers={DEMO_CUSTOMERS} />
        </>
      ) : (
        <p>
          Embed the chat on your member site with <code>/widget</code> (see the README), and point Stripe and Kit at{" "}
          <code>/api/webhooks/stripe</code> and <code>/api/webhooks/kit</code>.
        </p>
      )}
    </main>
  );
}
