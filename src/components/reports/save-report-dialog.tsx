"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import type { RouterOutputs } from "~/app/(app)/router-types";
import { errorsFromServer } from "~/components/form-errors";
import { FormError } from "~/components/form-field";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Checkbox } from "~/components/ui/checkbox";
import { Dialog, DialogFooter } from "~/components/ui/dialog";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import type { ReportSpec } from "~/core/reports";
import { useTRPC } from "~/trpc/react";

export type SavedReport = RouterOutputs["savedReports"]["list"][number];

/** Names a report and saves it (optionally straight onto the dashboard). */
export function SaveReportDialog({
  open,
  onOpenChange,
  projectId,
  spec,
  defaultName,
  defaultOnDashboard,
  onSaved,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  projectId: string;
  spec: ReportSpec | null;
  defaultName: string;
  defaultOnDashboard: boolean;
  onSaved: (report: SavedReport) => void;
}) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange} title="Save report" description="Saved reports can be reopened in the builder and shown on the dashboard.">
      <SaveForm
        projectId={projectId}
        spec={spec}
        defaultName={defaultName}
        defaultOnDashboard={defaultOnDashboard}
        onSaved={onSaved}
        onCancel={() => onOpenChange(false)}
      />
    </Dialog>
  );
}

function SaveForm({
  projectId,
  spec,
  defaultName,
  defaultOnDashboard,
  onSaved,
  onCancel,
}: {
  projectId: string;
  spec: ReportSpec | null;
  defaultName: string;
  defaultOnDashboard: boolean;
  onSaved: (report: SavedReport) => void;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [name, setName] = useState(defaultName);
  const [onDashboard, setOnDashboard] = useState(defaultOnDashboard);
  const create = useMutation(
    trpc.savedReports.create.mutationOptions({
      onSuccess: async (report) => {
        await queryClient.invalidateQueries({ queryKey: trpc.savedReports.list.pathKey() });
        onSaved(report);
      },
    }),
  );
  const server = errorsFromServer(create.error);
  const nameError = name.trim() === "" ? "Give the report a name." : null;

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!spec || nameError) return;
    create.mutate({ projectId, name: name.trim(), spec, onDashboard });
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <div className="space-y-2">
        <Label htmlFor={`${id}-name`}>Report name</Label>
        <Input id={`${id}-name`} value={name} maxLength={200} autoFocus onChange={(event) => setName(event.target.value)} />
        {server.fields.name ? <p className="text-sm text-destructive">{server.fields.name}</p> : null}
      </div>
      <label className="flex items-center gap-2 text-sm">
        <Checkbox checked={onDashboard} onChange={(event) => setOnDashboard(event.target.checked)} />
        Show on the project dashboard
      </label>
      <FormError messages={[server.form, spec ? null : "Fix the report's settings before saving it."]} />
      <DialogFooter>
        <Button type="button" variant="outline" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" disabled={!spec || nameError !== null || create.isPending}>
          {create.isPending ? "Saving…" : "Save report"}
        </Button>
      </DialogFooter>
    </form>
  );
}
