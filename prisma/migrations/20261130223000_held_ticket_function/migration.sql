-- The ticket holding a conversation (a person took it or replied, and it is not resolved), as
-- JSON {id, agent}, or NULL. The support queue's definition (lib/support); the chat calls it in
-- its own statements, so a turn and a widget poll stay one round trip. Reads the open and pending
-- tickets of that conversation only. PL/pgSQL, so each session plans it once.
CREATE FUNCTION "held_ticket"(conversation_id text) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (
    SELECT json_build_object('id', ticket.id, 'agent', admin.name)
      FROM "Ticket" ticket LEFT JOIN "AdminUser" admin ON admin.id = ticket."assigneeId"
     WHERE ticket.status IN ('open', 'pending') AND ticket."conversationId" = conversation_id AND ticket."heldAt" IS NOT NULL
     ORDER BY ticket."heldAt" DESC
     LIMIT 1);
END
$$;
