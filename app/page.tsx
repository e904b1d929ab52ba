export default function Home() {
  return (
    <main style={{ maxWidth: 720, margin: "0 auto", padding: "2rem 1rem", lineHeight: 1.5 }}>
      <h1>Entitled</h1>
      <p>
        The canonical customer record is running: Stripe and Kit webhooks are verified and recorded, and the worker keeps
        Circle access and Kit tags in step with what customers paid for.
      </p>
      <ul>
        <li>
          <code>POST /api/webhooks/stripe</code>, <code>POST /api/webhooks/kit</code>
        </li>
        <li>
          <code>GET /api/admin/customers?email=</code>, <code>GET /api/admin/tickets</code> (Bearer admin token)
        </li>
        <li>
          <a href="/api/health?ready=1">/api/health</a>, <a href="/api/metrics">/api/metrics</a>
        </li>
      </ul>
      <p>The customer chat widget is not built yet.</p>
    </main>
  );
}
