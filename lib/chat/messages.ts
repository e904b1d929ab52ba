import type { UIMessage } from "ai";
import type { Session } from "../db";

// The chat's messages as the AI SDK's UI messages, and the one way a person's message enters a
// conversation. The chat is the only writer of conversations and messages: the support queue
// posts an agent's reply through `postAgentMessage`, inside its own transaction.

/** Who wrote an assistant message when it was not the bot's model: a person, or the notice that one holds the chat. */
export type ChatMessageMetadata = { agent: string } | { notice: "held" };
export type ChatMessage = UIMessage<ChatMessageMetadata>;

/** The agent name of a reply sent with the admin token, which names no person. */
export const TEAM_AGENT = "Support team";

/** How the widget signs a person's message: "Ana from support", or the team's name. */
export const agentLabel = (agent: string) => (agent === TEAM_AGENT ? agent : `${agent} from support`);

export const agentOf = (message: UIMessage): string | null => {
  const metadata = message.metadata as Partial<{ agent: unknown }> | null | undefined;
  return typeof metadata?.agent === "string" ? metadata.agent : null;
};

export const isHeldNotice = (message: UIMessage) => (message.metadata as Partial<{ notice: unknown }> | null | undefined)?.notice === "held";

/** A "Message" row as a UI message: id, role, parts, and its metadata when it has some. */
export const MESSAGE_JSON = `CASE WHEN metadata IS NULL THEN json_build_object('id', id, 'role', role, 'parts', parts)
  ELSE json_build_object('id', id, 'role', role, 'parts', parts, 'metadata', metadata) END`;

/** A person's reply in the customer's conversation, signed with their name; the conversation counts as active now. */
export async function postAgentMessage(tx: Session, message: { conversationId: string; text: string; agent: string }): Promise<{ id: string }> {
  const id = crypto.randomUUID();
  await tx.sql(
    `WITH posted AS (
       INSERT INTO "Message" (id, "conversationId", role, parts, metadata) VALUES ($1, $2, 'assistant', $3::jsonb, $4::jsonb) RETURNING "conversationId")
     UPDATE "Conversation" SET "updatedAt" = now() WHERE id IN (SELECT "conversationId" FROM posted)`,
    [id, message.conversationId, JSON.stringify([{ type: "text", text: message.text }]), JSON.stringify({ agent: message.agent })],
  );
  return { id };
}

/** A conversation's latest `limit` messages, oldest first. */
export async function readConversationMessages(session: Session, conversationId: string, limit = 200): Promise<ChatMessage[]> {
  const [row] = await session.sql<{ messages: ChatMessage[] }>(
    `SELECT COALESCE(json_agg(message ORDER BY "createdAt"), '[]') AS messages
       FROM (SELECT ${MESSAGE_JSON} AS message, "createdAt" FROM "Message" WHERE "conversationId" = $1 ORDER BY "createdAt" DESC LIMIT $2) recent`,
    [conversationId, limit],
  );
  return row?.messages ?? [];
}

/** A merged customer's conversations go with their history to the record it was merged into. */
export async function moveConversations(tx: Session, fromCustomerId: string, intoCustomerId: string): Promise<number> {
  const rows = await tx.sql(`UPDATE "Conversation" SET "customerId" = $2, "updatedAt" = now() WHERE "customerId" = $1 RETURNING id`, [
    fromCustomerId,
    intoCustomerId,
  ]);
  return rows.length;
}
