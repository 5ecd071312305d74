"use client";

import { useRouter } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import { draftFromSpec, emptyDraft, specFromDraft, suggestedName, type BuilderDraft } from "~/components/reports/builder-model";
import { SaveReportDialog, type SavedReport } from "~/components/reports/save-report-dialog";
import { usePlanSuggestions } from "~/components/reports/use-tracking-plan";
import { REPORT_KINDS } from "~/core/reports";
import { atLeast, type RoleName } from "~/core/roles";
import { AlertsPanel } from "../alerts/alerts-panel";
import type { Patch } from "./panels";
import { ReportResult } from "./report-result";
import { ReportSettings } from "./report-settings";

/** Waits until the report has stopped changing for a moment before running it. */
function useSettled<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  const key = JSON.stringify(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(JSON.parse(key) as T), delayMs);
    return () => clearTimeout(timer);
  }, [key, delayMs]);
  return settled;
}

/** A saved report's settings, or a new report of the kind the link asked for (a trend otherwise). */
function initialDraft(saved: SavedReport | null, initialKind: string | null, timezone: string): BuilderDraft {
  if (saved?.spec) return draftFromSpec(saved.spec, timezone);
  return emptyDraft(REPORT_KINDS.find((candidate) => candidate === initialKind) ?? "trend");
}

/**
 * Builds a report: its settings above (the kind's panel from ./panels between the shared range and
 * filters), its result below, run once the settings are valid and have settled.
 */
export function ReportBuilder({
  projectId,
  timezone,
  role,
  saved,
  initialKind,
}: {
  projectId: string;
  timezone: string;
  role: RoleName;
  saved: SavedReport | null;
  initialKind: string | null;
}) {
  const router = useRouter();
  const plan = usePlanSuggestions(projectId);
  const [draft, setDraft] = useState(() => initialDraft(saved, initialKind, timezone));
  const [saving, setSaving] = useState<{ onDashboard: boolean } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const result = useMemo(() => specFromDraft(draft, timezone), [draft, timezone]);
  const current = "spec" in result ? result.spec : null;
  const applied = useSettled(current, 400);
  const patch: Patch = (key, value) => setDraft((previous) => ({ ...previous, [key]: value }));

  function onSaved(report: SavedReport) {
    setSaving(null);
    setNotice(report.onDashboard ? "Saved and added to the dashboard." : "Report saved.");
    router.replace(`/projects/${projectId}/reports?report=${encodeURIComponent(report.id)}`);
  }

  return (
    <div className="space-y-6">
      <ReportSettings
        projectId={projectId}
        title={saved ? saved.name : "New report"}
        newReportHref={saved ? `/projects/${projectId}/reports` : null}
        draft={draft}
        patch={patch}
        plan={plan}
        errors={"errors" in result ? result.errors : null}
      />
      <ReportResult
        projectId={projectId}
        timezone={timezone}
        kind={draft.kind}
        saved={saved}
        current={current}
        applied={applied}
        canSave={atLeast(role, "member")}
        notice={notice}
        onNotice={setNotice}
        onSave={(onDashboard) => setSaving({ onDashboard })}
      />
      {saved?.spec?.kind === "trend" ? (
        <AlertsPanel
          projectId={projectId}
          role={role}
          report={{
            id: saved.id,
            name: saved.name,
            series: saved.spec.definition.series.map((series) => series.label ?? series.event ?? "All events"),
          }}
        />
      ) : null}
      <SaveReportDialog
        open={saving !== null}
        onOpenChange={(open) => !open && setSaving(null)}
        projectId={projectId}
        spec={current}
        defaultName={saved ? `${saved.name} (copy)` : current ? suggestedName(current) : ""}
        defaultOnDashboard={saving?.onDashboard ?? false}
        onSaved={onSaved}
      />
    </div>
  );
}
