-- The outbox becomes readable in production by instance admins only, and keeps no usable link at
-- rest: new mails are sealed (AES-256-GCM) by the app. Mails written before cannot be sealed here
-- (the key is not in the database), so their links are removed and their HTML copy dropped.

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "instance_admin" BOOLEAN NOT NULL DEFAULT false;

-- Redact the links (and with them the invite, verify and reset tokens) of mails already kept.
UPDATE "outbox_mails" SET "text" = regexp_replace("text", 'https?://[^[:space:]<>"'']+', '[link removed]', 'g');

-- AlterTable
ALTER TABLE "outbox_mails" DROP COLUMN "html",
ADD COLUMN     "sealed" TEXT NOT NULL DEFAULT '';

-- The first account of an existing install is its admin, as on a new one: the oldest owner that is
-- not the seeded demo login (whose password is printed for everyone).
UPDATE "users" SET "instance_admin" = true
 WHERE "id" = (
   SELECT u."id" FROM "users" u
    WHERE u."email" <> 'demo@prism.dev'
      AND EXISTS (SELECT 1 FROM "memberships" m WHERE m."user_id" = u."id" AND m."role" = 'owner')
    ORDER BY u."created_at", u."id"
    LIMIT 1
 );
