-- CreateTable
CREATE TABLE "profile_deletions" (
    "id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "profile_ids" TEXT[],
    "id_digests" TEXT[],
    "salt" TEXT NOT NULL,
    "requested_by_id" TEXT,
    "requested_by_email" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "steps" JSONB NOT NULL DEFAULT '[]',
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "heartbeat_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "profile_deletions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "profile_deletions_project_id_created_at_idx" ON "profile_deletions"("project_id", "created_at");

-- CreateIndex
CREATE INDEX "profile_deletions_status_heartbeat_at_idx" ON "profile_deletions"("status", "heartbeat_at");

-- AddForeignKey
ALTER TABLE "profile_deletions" ADD CONSTRAINT "profile_deletions_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
