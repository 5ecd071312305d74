"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { PageHeader } from "~/components/page-header";
import { DateTime } from "~/components/date-time";
import { formatNumber } from "~/components/reports/report-model";
import { Alert, AlertDescription } from "~/components/ui/alert";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Checkbox } from "~/components/ui/checkbox";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { Select } from "~/components/ui/select";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "~/components/ui/table";
import type { ImportView } from "~/server/imports";
import { useTRPC } from "~/trpc/react";

const FORMATS = [
  { value: "ndjson", label: "NDJSON (one event per line, any ingest format)" },
  { value: "csv", label: "CSV (header row: event_name, timestamp, profile_id, props…)" },
  { value: "segment", label: "Segment export (track, identify, page, screen)" },
  { value: "mixpanel", label: "Mixpanel export ({event, properties})" },
] as const;
type Format = (typeof FORMATS)[number]["value"];

const MAX_BYTES = 100 * 1024 * 1024;

/**
 * Admins upload a file of past events: a job is started, the file is streamed to the upload route,
 * and the job's progress (lines read, accepted, refused with their line numbers) is polled.
 */
export function ImportPanel({ projectId, role, archived }: { projectId: string; role: string; archived: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ids = { file: useId(), format: useId(), fire: useId() };
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<Format>("ndjson");
  const [fireActions, setFireActions] = useState(false);
  const [importId, setImportId] = useState<string | null>(null);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const admin = role === "admin" || role === "owner";

  const start = useMutation(trpc.imports.start.mutationOptions());
  const job = useQuery({
    ...trpc.imports.get.queryOptions({ projectId, importId: importId ?? "" }),
    enabled: importId !== null,
    refetchInterval: (query) => (query.state.data?.status === "done" || query.state.data?.status === "failed" ? false : 700),
  });
  const history = useQuery({ ...trpc.imports.list.queryOptions({ projectId }), enabled: admin });

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!file) return;
    setUploadError(null);
    if (file.size > MAX_BYTES) {
      setUploadError("Files up to 100 MB can be imported; split larger ones.");
      return;
    }
    let id: string;
    try {
      ({ importId: id } = await start.mutateAsync({ projectId, format, fireActions, fileName: file.name.slice(0, 255), totalBytes: file.size }));
    } catch {
      return; // start.error says why
    }
    setImportId(id);
    try {
      const response = await fetch(`/api/projects/${encodeURIComponent(projectId)}/imports/${encodeURIComponent(id)}`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body: file,
      });
      if (!response.ok && response.status !== 422) {
        const body = (await response.json().catch(() => null)) as { message?: string } | null;
        setUploadError(body?.message ?? `The upload failed (${response.status}).`);
      }
    } catch {
      setUploadError("The upload was interrupted. Import the file again: nothing is stored twice.");
    }
    await queryClient.invalidateQueries({ queryKey: trpc.imports.get.queryKey({ projectId, importId: id }) });
    await queryClient.invalidateQueries({ queryKey: trpc.imports.list.queryKey({ projectId }) });
  }

  const running = start.isPending || (job.data !== undefined && (job.data.status === "pending" || job.data.status === "running"));

  return (
    <div className="space-y-6">
      <PageHeader
        title="Import"
        description="Backfill past events from a file. Lines are checked against the tracking plan like live events; importing the same file again stores nothing twice."
      />
      {!admin ? (
        <Alert>
          <AlertDescription>Importing data needs the admin role.</AlertDescription>
        </Alert>
      ) : archived ? (
        <Alert>
          <AlertDescription>This project is archived; unarchive it to import data.</AlertDescription>
        </Alert>
      ) : (
        <Card>
          <CardHeader>
            <CardTitle>Upload a file</CardTitle>
            <CardDescription>
              Up to 100 MB. Every event needs its own timestamp, within the project&apos;s retention. Imported events do not fire triggers unless you ask.
            </CardDescription>
          </CardHeader>
          <CardContent>
            <form onSubmit={(event) => void submit(event)} className="grid max-w-xl gap-4">
              <div className="grid gap-1.5">
                <Label htmlFor={ids.file}>File</Label>
                <Input id={ids.file} type="file" accept=".ndjson,.jsonl,.json,.csv,.txt" onChange={(event) => setFile(event.target.files?.[0] ?? null)} />
              </div>
              <div className="grid gap-1.5">
                <Label htmlFor={ids.format}>Format</Label>
                <Select id={ids.format} value={format} onChange={(event) => setFormat(event.target.value as Format)}>
                  {FORMATS.map((option) => (
                    <option key={option.value} value={option.value}>
                      {option.label}
                    </option>
                  ))}
                </Select>
              </div>
              <div className="flex items-center gap-2">
                <Checkbox id={ids.fire} checked={fireActions} onChange={(event) => setFireActions(event.target.checked)} />
                <Label htmlFor={ids.fire}>
                  Fire actions: run the project&apos;s triggers on the imported events (in-app notifications stay for live events)
                </Label>
              </div>
              <div>
                <Button type="submit" disabled={!file || running}>
                  {running ? "Importing…" : "Import"}
                </Button>
              </div>
              {start.error || uploadError ? (
                <p role="alert" className="text-sm text-destructive">
                  {uploadError ?? errorMessage(start.error)}
                </p>
              ) : null}
            </form>
          </CardContent>
        </Card>
      )}
      {job.data ? <ImportProgress view={job.data} /> : null}
      {admin && history.data && history.data.length > 0 ? <ImportHistory imports={history.data} /> : null}
    </div>
  );
}

function ImportProgress({ view }: { view: ImportView }) {
  const fraction = view.totalBytes ? Math.min(1, view.bytesRead / view.totalBytes) : view.status === "done" ? 1 : 0;
  const label =
    view.status === "done"
      ? "Done"
      : view.status === "failed"
        ? `Failed: ${view.error ?? "unknown error"}`
        : view.status === "pending"
          ? "Uploading…"
          : `Importing… ${Math.round(fraction * 100)}%`;
  return (
    <Card>
      <CardHeader>
        <CardTitle>{view.fileName || "Import"}</CardTitle>
        <CardDescription role="status" data-testid="import-status" className={view.status === "failed" ? "text-destructive" : undefined}>
          {label}
        </CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        <div
          role="progressbar"
          aria-label="Import progress"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(fraction * 100)}
          className="h-2 w-full overflow-hidden rounded bg-muted"
        >
          <div className="h-full bg-primary transition-all" style={{ width: `${fraction * 100}%` }} />
        </div>
        <dl className="grid grid-cols-3 gap-4 text-sm">
          <div>
            <dt className="text-muted-foreground">Lines read</dt>
            <dd className="font-medium tabular-nums">{formatNumber(view.linesRead)}</dd>
          </div>
          <div>
            <dt className="text-muted-foreground">Accepted</dt>
            <dd className="font-medium tabular-nums" data-testid="import-accepted">
              {formatNumber(view.accepted)}
            </dd>
          </div>
          <div>
            <dt className="text-muted-foreground">Refused</dt>
            <dd className="font-medium tabular-nums" data-testid="import-refused">
              {formatNumber(view.refused)}
            </dd>
          </div>
        </dl>
        {view.refusals.length > 0 ? (
          <div className="space-y-2">
            <p className="text-sm text-muted-foreground">
              {view.refused > view.refusals.length ? `The first ${view.refusals.length} refused lines:` : "Refused lines:"}
            </p>
            <Table>
              <TableHeader>
                <TableRow>
                  <TableHead>Line</TableHead>
                  <TableHead>Reason</TableHead>
                  <TableHead>Field</TableHead>
                  <TableHead>Message</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {view.refusals.map((refusal) => (
                  <TableRow key={refusal.line}>
                    <TableCell className="tabular-nums">{refusal.line}</TableCell>
                    <TableCell>{refusal.reason}</TableCell>
                    <TableCell className="font-mono text-xs">{refusal.field ?? "—"}</TableCell>
                    <TableCell className="max-w-md break-words">{refusal.message}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </div>
        ) : null}
      </CardContent>
    </Card>
  );
}

function ImportHistory({ imports }: { imports: ImportView[] }) {
  return (
    <Card>
      <CardHeader>
        <CardTitle>Past imports</CardTitle>
      </CardHeader>
      <CardContent>
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>Started</TableHead>
              <TableHead>File</TableHead>
              <TableHead>Format</TableHead>
              <TableHead>Status</TableHead>
              <TableHead className="text-right">Accepted</TableHead>
              <TableHead className="text-right">Refused</TableHead>
              <TableHead>By</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {imports.map((row) => (
              <TableRow key={row.importId}>
                <TableCell>
                  <DateTime value={row.createdAt} />
                </TableCell>
                <TableCell className="max-w-xs truncate">{row.fileName || "—"}</TableCell>
                <TableCell>{row.format}</TableCell>
                <TableCell>{row.fireActions ? `${row.status} (actions fired)` : row.status}</TableCell>
                <TableCell className="text-right tabular-nums">{formatNumber(row.accepted)}</TableCell>
                <TableCell className="text-right tabular-nums">{formatNumber(row.refused)}</TableCell>
                <TableCell>{row.requestedBy}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </CardContent>
    </Card>
  );
}
