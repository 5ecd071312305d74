-- Event ids the processor handled, so a client resend within the idempotency window (7 days) is
-- dropped: one row per (kind, project, event id) as a 16-byte md5 key, pruned by seen_at.

-- CreateTable
CREATE TABLE "seen_event_ids" (
    "key" UUID NOT NULL,
    "seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "seen_event_ids_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "seen_event_ids_seen_at_idx" ON "seen_event_ids"("seen_at");
