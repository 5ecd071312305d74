-- CreateEnum
CREATE TYPE "ApiKeyKind" AS ENUM ('write', 'read', 'manage');

-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "kind" "ApiKeyKind" NOT NULL DEFAULT 'write';
