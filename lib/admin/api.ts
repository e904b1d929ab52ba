import { z } from "zod";
import type { Runtime } from "../runtime";
import { isAdmin } from "../auth";
import { findCustomerId, getCustomerRecord } from "../customers/record";
import { json, rejection } from "../webhooks/http";

// Admin read API as Request -> Response functions (mounted by Next route handlers).

const customerQuery = z.object({ email: z.string().trim().min(3).max(320).includes("@", { message: "email must be an email address" }) });
const ticketQuery = z.object({
  status: z.enum(["open", "pending", "resolved"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export async function getCustomer(request: Request, runtime: Runtime): Promise<Response> {
  if (!isAdmin(request, runtime.env)) return rejection(401, "admin token required");
  const query = customerQuery.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success) return rejection(400, query.error.issues[0]?.message ?? "invalid query");
  const customerId = await findCustomerId(runtime.db, query.data.email);
  const record = customerId ? await getCustomerRecord(runtime.db, customerId) : null;
  if (!record) return rejection(404, "no customer with that email");
  return json(200, record);
}

export async function listTickets(request: Request, runtime: Runtime): Promise<Response> {
  if (!isAdmin(request, runtime.env)) return rejection(401, "admin token required");
  const query = ticketQuery.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success) return rejection(400, query.error.issues[0]?.message ?? "invalid query");
  const tickets = await runtime.db.prisma.ticket.findMany({
    where: query.data.status ? { status: query.data.status } : {},
    orderBy: { createdAt: "desc" },
    take: query.data.limit,
    include: { _count: { select: { notes: true } } },
  });
  return json(200, {
    tickets: tickets.map((ticket) => ({
      id: ticket.id,
      customerId: ticket.customerId,
      journeyId: ticket.journeyId,
      category: ticket.category,
      status: ticket.status,
      source: ticket.source,
      summary: ticket.summary,
      notes: ticket._count.notes,
      createdAt: ticket.createdAt,
      updatedAt: ticket.updatedAt,
    })),
  });
}
