import { dashboardData } from "@/lib/admin/dashboard";
import { consolePage } from "../console-page";
import { duration, when } from "../format";
import { BarsChart, type Series } from "./charts";
import { ReconcileButton } from "./reconcile-button";

export const dynamic = "force-dynamic";
export const metadata = { title: "Dashboard" };

const seconds = (value: number | null) => (value === null ? "—" : value < 1 ? `${Math.round(value * 1000)} ms` : duration(value * 1000));
const bucketLabel = (from: number, to: number | null) => (to === null ? `≥ ${seconds(from)}` : from === 0 ? `< ${seconds(to)}` : `${seconds(from)}–${seconds(to)}`);
/** "1 ticket", "3 tickets". */
const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** "Nov 30" for a UTC day. */
const dayLabel = (day: Date) => day.toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
/** "14:00" for a UTC hour. */
const hourLabel = (hour: Date) => `${hour.toISOString().slice(11, 13)}:00`;

export default async function DashboardPage() {
  const { runtime } = await consolePage();
  const data = await dashboardData(runtime.db, new Date());
  const { paymentToAccess: pay, queue, deadLetters } = data;

  const histogram = pay.buckets.map((bucket) => ({ label: bucketLabel(bucket.fromSeconds, bucket.toSeconds), purchases: bucket.count }));
  const outcomes = data.webhookOutcomesPerHour.map((slot) => ({
    label: `${dayLabel(slot.hour)} ${hourLabel(slot.hour)}`,
    short: hourLabel(slot.hour),
    applied: slot.stripe.applied + slot.kit.applied,
    ignored: slot.stripe.ignored + slot.kit.ignored,
    failed: slot.stripe.failed + slot.kit.failed,
    pending: slot.stripe.pending + slot.kit.pending,
  }));
  const kinds = [...new Set(queue.depth.map((row) => row.kind))].sort();
  const depth = kinds.map((kind) => ({
    label: kind,
    queued: queue.depth.find((row) => row.kind === kind && row.status === "queued")?.count ?? 0,
    running: queue.depth.find((row) => row.kind === kind && row.status === "running")?.count ?? 0,
  }));
  const depthTotal = queue.depth.reduce((sum, row) => sum + row.count, 0);
  const dead = deadLetters.perDay.map((slot) => ({ label: dayLabel(slot.day), died: slot.count }));
  const tickets = data.ticketsPerDay.map((slot) => ({ label: dayLabel(slot.day), opened: slot.opened, repeats: slot.repeats }));
  const chats = data.botClosedConversations.map((slot) => ({ label: dayLabel(slot.day), "bot alone": slot.withoutTicket, "with a ticket": slot.withTicket }));
  const sum = <T,>(rows: T[], pick: (row: T) => number) => rows.reduce((total, row) => total + pick(row), 0);
  const chatsAlone = sum(data.botClosedConversations, (row) => row.withoutTicket);
  const chatsTotal = chatsAlone + sum(data.botClosedConversations, (row) => row.withTicket);
  const webhookTotal = sum(outcomes, (row) => row.applied + row.ignored + row.failed + row.pending);
  const webhookFailed = sum(outcomes, (row) => row.failed);

  const series = {
    histogram: [{ key: "purchases", label: "Purchases", color: "#2f5bd3" }],
    outcomes: [
      { key: "applied", label: "Applied", color: "#1e6b34" },
      { key: "ignored", label: "Ignored", color: "#8a8a96" },
      { key: "pending", label: "Pending", color: "#c98a00" },
      { key: "failed", label: "Failed", color: "#a4161a" },
    ],
    depth: [
      { key: "queued", label: "Queued", color: "#2f5bd3" },
      { key: "running", label: "Running", color: "#1e6b34" },
    ],
    dead: [{ key: "died", label: "Dead-lettered", color: "#a4161a" }],
    tickets: [
      { key: "opened", label: "Tickets opened", color: "#2f5bd3" },
      { key: "repeats", label: "Repeats folded in", color: "#c98a00" },
    ],
    chats: [
      { key: "bot alone", label: "Closed by the bot alone", color: "#1e6b34" },
      { key: "with a ticket", label: "Needed a person (ticket)", color: "#c98a00" },
    ],
  } satisfies Record<string, Series[]>;

  return (
    <>
      <h1>Dashboard</h1>
      <p className="lede">As of {when(data.asOf)}. Hours and days are UTC.</p>
      <dl className="stats">
        <div className="panel stat">
          <dt>Payment to access, p95</dt>
          <dd>{seconds(pay.p95Seconds)}</dd>
        </div>
        <div className="panel stat">
          <dt>Queue depth</dt>
          <dd>{depthTotal}</dd>
        </div>
        <div className="panel stat">
          <dt>Oldest due job waiting</dt>
          <dd>{queue.oldestDueAgeSeconds === null ? "none due" : seconds(queue.oldestDueAgeSeconds)}</dd>
        </div>
        <div className="panel stat">
          <dt>Dead letters now</dt>
          <dd>{deadLetters.now}</dd>
        </div>
        <div className="panel stat">
          <dt>Chats the bot closed alone (14 d)</dt>
          <dd>{chatsTotal === 0 ? "—" : `${Math.round((100 * chatsAlone) / chatsTotal)}%`}</dd>
        </div>
      </dl>
      <ReconcileButton />
      <div className="charts">
        <BarsChart
          title="Time from payment to access"
          caption={`Checkouts in the last ${pay.windowDays} days: ${pay.purchases}, of which ${pay.samples} got their Circle access (median ${seconds(pay.p50Seconds)}, p95 ${seconds(pay.p95Seconds)}).`}
          rows={histogram}
          series={series.histogram}
          rowHeader="Time to access"
        />
        <BarsChart
          title="Webhook outcomes per hour"
          caption={`Stripe and Kit events received in the last 48 hours: ${webhookTotal}, of which ${webhookFailed} failed.`}
          rows={outcomes}
          series={series.outcomes}
          stacked
          rowHeader="Hour (UTC)"
        />
        <BarsChart
          title="Queue depth by job kind"
          caption={`${count(depthTotal, "job")} queued or running; the oldest due job has waited ${queue.oldestDueAgeSeconds === null ? "no time (none is due)" : seconds(queue.oldestDueAgeSeconds)}.`}
          rows={depth}
          series={series.depth}
          stacked
          rowHeader="Job kind"
          empty="The queue is empty."
        />
        <BarsChart
          title="Dead letters per day"
          caption={`${count(deadLetters.now, "dead job")} waiting for a replay or a discard; ${sum(dead, (row) => row.died)} died in the last 14 days.`}
          rows={dead}
          series={series.dead}
          rowHeader="Day"
        />
        <BarsChart
          title="Tickets opened and repeats per day"
          caption={`Last 14 days: ${count(sum(tickets, (row) => row.opened), "ticket")} opened; ${count(sum(tickets, (row) => row.repeats), "repeat ask")} folded into an existing ticket instead of a new one.`}
          rows={tickets}
          series={series.tickets}
          rowHeader="Day"
        />
        <BarsChart
          title="Conversations the bot closed without a person"
          caption={`Last 14 days: ${count(chatsTotal, "conversation")}, ${chatsAlone} closed by the bot alone.`}
          rows={chats}
          series={series.chats}
          stacked
          rowHeader="Day"
        />
      </div>
    </>
  );
}
