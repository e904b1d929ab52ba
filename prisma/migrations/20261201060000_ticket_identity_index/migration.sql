-- CreateIndex
CREATE INDEX "Ticket_identity_idx" ON "Ticket"("identity");
