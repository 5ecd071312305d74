-- CreateTable
CREATE TABLE "person_overrides" (
    "project_id" TEXT NOT NULL,
    "distinct_id" TEXT NOT NULL,
    "person_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "person_overrides_pkey" PRIMARY KEY ("project_id","distinct_id")
);

-- CreateTable
CREATE TABLE "identified_profiles" (
    "project_id" TEXT NOT NULL,
    "profile_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "identified_profiles_pkey" PRIMARY KEY ("project_id","profile_id")
);

-- CreateIndex
CREATE INDEX "person_overrides_project_id_person_id_idx" ON "person_overrides"("project_id", "person_id");
