-- CreateTable
CREATE TABLE "metric_alerts" (
    "id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "report_id" TEXT NOT NULL,
    "series_index" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "condition" TEXT NOT NULL,
    "threshold" DOUBLE PRECISION,
    "k" DOUBLE PRECISION,
    "window" INTEGER,
    "interval" TEXT NOT NULL,
    "actions" JSONB NOT NULL DEFAULT '[]',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "state" TEXT NOT NULL DEFAULT 'ok',
    "last_evaluated_period" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "metric_alerts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "metric_alert_states" (
    "id" TEXT NOT NULL,
    "alert_id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "period_start" TIMESTAMPTZ(3) NOT NULL,
    "period_label" TEXT NOT NULL,
    "value" DOUBLE PRECISION,
    "median" DOUBLE PRECISION,
    "mad" DOUBLE PRECISION,
    "state" TEXT NOT NULL,
    "detail" TEXT NOT NULL DEFAULT '',
    "firing_id" TEXT,
    "evaluated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "metric_alert_states_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "metric_alerts_project_id_idx" ON "metric_alerts"("project_id");

-- CreateIndex
CREATE INDEX "metric_alerts_report_id_idx" ON "metric_alerts"("report_id");

-- CreateIndex
CREATE INDEX "metric_alert_states_project_id_idx" ON "metric_alert_states"("project_id");

-- CreateIndex
CREATE UNIQUE INDEX "metric_alert_states_alert_id_period_start_key" ON "metric_alert_states"("alert_id", "period_start");

-- AddForeignKey
ALTER TABLE "metric_alerts" ADD CONSTRAINT "metric_alerts_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "metric_alerts" ADD CONSTRAINT "metric_alerts_report_id_fkey" FOREIGN KEY ("report_id") REFERENCES "saved_reports"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "metric_alert_states" ADD CONSTRAINT "metric_alert_states_alert_id_fkey" FOREIGN KEY ("alert_id") REFERENCES "metric_alerts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
