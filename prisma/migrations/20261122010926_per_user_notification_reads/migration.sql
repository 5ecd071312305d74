-- Read state moves from one column per notification to one row per reader, so a notification to
-- the whole project is unread for each member until they read it.

-- CreateTable
CREATE TABLE "notification_reads" (
    "notification_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "read_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notification_reads_pkey" PRIMARY KEY ("notification_id","user_id")
);

-- CreateIndex
CREATE INDEX "notification_reads_user_id_idx" ON "notification_reads"("user_id");

-- AddForeignKey
ALTER TABLE "notification_reads" ADD CONSTRAINT "notification_reads_notification_id_fkey" FOREIGN KEY ("notification_id") REFERENCES "notifications"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "notification_reads" ADD CONSTRAINT "notification_reads_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Keep what was read: a personal notification by its user, a project-wide one by every current
-- member of the project's organisation (the old column cannot say who read it).
INSERT INTO "notification_reads" ("notification_id", "user_id", "read_at")
SELECT n."id", COALESCE(n."user_id", m."user_id"), n."read_at"
  FROM "notifications" n
  JOIN "projects" p ON p."id" = n."project_id"
  JOIN "memberships" m ON m."organization_id" = p."organization_id" AND (n."user_id" IS NULL OR m."user_id" = n."user_id")
 WHERE n."read_at" IS NOT NULL
ON CONFLICT DO NOTHING;

-- AlterTable
ALTER TABLE "notifications" DROP COLUMN "read_at";
