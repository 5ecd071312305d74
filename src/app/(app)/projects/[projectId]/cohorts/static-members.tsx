"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useId, useMemo, useState } from "react";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { formatBytes, formatNumber } from "~/components/reports/report-model";
import { Alert, AlertDescription } from "~/components/ui/alert";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { Textarea } from "~/components/ui/textarea";
import { MAX_STATIC_MEMBERS, parseMemberIds } from "~/core/cohorts";
import { cn } from "~/lib/utils";
import { useTRPC } from "~/trpc/react";
import { mutateWithProgress } from "./upload-with-progress";

const MAX_FILE_BYTES = 32 * 1024 * 1024;
const MAX_REJECTED_SHOWN = 20;

/** What the list holds, as the server will read it (the same parser). */
interface ParsedMemberIds {
  ids: number;
  duplicates: number;
  rejected: Array<{ line: number; reason: string }>;
  rejectedCount: number;
}

function parse(text: string): ParsedMemberIds {
  const parsed = parseMemberIds(text);
  return { ids: parsed.ids.length, duplicates: parsed.duplicates, rejected: parsed.invalid.slice(0, MAX_REJECTED_SHOWN), rejectedCount: parsed.invalid.length };
}

/** What an upload did: the server's count of stored members, with the list's own repeats and refusals. */
interface StoredMembers {
  members: number;
  parsed: ParsedMemberIds;
}

type Stage =
  | { step: "idle" }
  | { step: "reading"; loaded: number; total: number }
  | { step: "sending"; loaded: number; total: number }
  | { step: "storing" }
  | { step: "done"; answer: StoredMembers }
  | { step: "failed"; message: string };

/** Paste or upload a static cohort's profile ids; what is read is shown before it replaces the members. */
export function StaticMembers({ projectId, cohortId, cohortName }: { projectId: string; cohortId: string; cohortName: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ids = { source: useId(), paste: useId(), file: useId() };
  const [source, setSource] = useState<"paste" | "file">("paste");
  const [pasted, setPasted] = useState("");
  const [file, setFile] = useState<{ name: string; text: string } | null>(null);
  const [stage, setStage] = useState<Stage>({ step: "idle" });
  // A new key empties the file input after a successful upload.
  const [fileInputKey, setFileInputKey] = useState(0);

  const text = source === "paste" ? pasted : (file?.text ?? "");
  const parsed = useMemo(() => (text.trim() ? parse(text) : null), [text]);
  const tooMany = parsed !== null && parsed.ids > MAX_STATIC_MEMBERS;
  // The server refuses a list with lines that cannot be ids, so they are fixed first.
  const blocked = parsed === null || parsed.ids === 0 || tooMany || parsed.rejectedCount > 0;
  const busy = stage.step === "reading" || stage.step === "sending" || stage.step === "storing";

  function readFile(chosen: File | undefined) {
    setFile(null);
    if (!chosen) return;
    if (chosen.size > MAX_FILE_BYTES) {
      setStage({ step: "failed", message: `Files up to ${formatBytes(MAX_FILE_BYTES)} can be read; split larger ones.` });
      return;
    }
    const reader = new FileReader();
    setStage({ step: "reading", loaded: 0, total: chosen.size });
    reader.onprogress = (event) => setStage({ step: "reading", loaded: event.loaded, total: chosen.size });
    reader.onerror = () => setStage({ step: "failed", message: "The file could not be read." });
    reader.onload = () => {
      setFile({ name: chosen.name, text: typeof reader.result === "string" ? reader.result : "" });
      setStage({ step: "idle" });
    };
    reader.readAsText(chosen);
  }

  async function send() {
    if (blocked) return;
    setStage({ step: "sending", loaded: 0, total: 0 });
    try {
      const answer = await mutateWithProgress<{ members: number }>("cohorts.setStaticMembers", { projectId, cohortId, text }, (progress) =>
        setStage(progress.total > 0 && progress.loaded >= progress.total ? { step: "storing" } : { step: "sending", ...progress }),
      );
      setStage({ step: "done", answer: { members: answer.members, parsed } });
      setPasted("");
      setFile(null);
      setFileInputKey((key) => key + 1);
      await queryClient.invalidateQueries({ queryKey: trpc.cohorts.pathKey() });
    } catch (error) {
      setStage({ step: "failed", message: errorMessage(error) ?? "The ids could not be stored." });
    }
  }

  return (
    <div className="space-y-4">
      <div role="radiogroup" aria-label="Where the ids come from" id={ids.source} className="inline-flex rounded-md border bg-background p-0.5">
        {(["paste", "file"] as const).map((choice) => (
          <button
            key={choice}
            type="button"
            role="radio"
            aria-checked={source === choice}
            disabled={busy}
            onClick={() => setSource(choice)}
            className={cn(
              "rounded px-3 py-1 text-sm font-medium transition-colors",
              source === choice ? "bg-primary text-primary-foreground" : "text-muted-foreground hover:bg-accent hover:text-foreground",
            )}
          >
            {choice === "paste" ? "Paste ids" : "Upload a file"}
          </button>
        ))}
      </div>
      {source === "paste" ? (
        <div className="space-y-2">
          <Label htmlFor={ids.paste}>Profile ids</Label>
          <Textarea
            id={ids.paste}
            rows={6}
            className="font-mono text-xs"
            placeholder={"user-1\nuser-2\nuser-3"}
            spellCheck={false}
            value={pasted}
            disabled={busy}
            onChange={(event) => setPasted(event.target.value)}
          />
          <p className="text-xs text-muted-foreground">One per line. Up to {formatNumber(MAX_STATIC_MEMBERS)}.</p>
        </div>
      ) : (
        <div className="space-y-2">
          <Label htmlFor={ids.file}>File of profile ids</Label>
          <Input
            id={ids.file}
            key={fileInputKey}
            type="file"
            accept=".txt,.csv,.tsv,text/plain,text/csv"
            disabled={busy}
            onChange={(event) => readFile(event.target.files?.[0])}
          />
          <p className="text-xs text-muted-foreground">
            Text with one id per line, or CSV with the id in the first column (a header line is skipped). Up to {formatBytes(MAX_FILE_BYTES)}.
          </p>
        </div>
      )}
      {stage.step === "reading" ? <ProgressLine label="Reading the file" loaded={stage.loaded} total={stage.total} /> : null}
      {parsed && stage.step !== "reading" ? <ParsedSummary parsed={parsed} fileName={source === "file" ? file?.name : undefined} /> : null}
      {tooMany ? (
        <p role="alert" className="text-sm text-destructive">
          A static cohort holds at most {formatNumber(MAX_STATIC_MEMBERS)} ids; this list has {formatNumber(parsed?.ids)}.
        </p>
      ) : null}
      <div className="flex flex-wrap items-center gap-3">
        <Button type="button" disabled={busy || blocked} onClick={() => void send()}>
          {busy && stage.step !== "reading" ? "Storing…" : `Replace members${parsed && parsed.ids > 0 ? ` with ${formatNumber(parsed.ids)} ids` : ""}`}
        </Button>
        <p className="text-xs text-muted-foreground">The list replaces the current members of {cohortName}.</p>
      </div>
      {stage.step === "sending" ? <ProgressLine label="Uploading" loaded={stage.loaded} total={stage.total} /> : null}
      {stage.step === "storing" ? (
        <p role="status" className="text-sm text-muted-foreground">
          Uploaded; storing the members…
        </p>
      ) : null}
      {stage.step === "done" ? <UploadResult answer={stage.answer} /> : null}
      {stage.step === "failed" ? (
        <p role="alert" className="text-sm text-destructive">
          {stage.message}
        </p>
      ) : null}
    </div>
  );
}

function ProgressLine({ label, loaded, total }: { label: string; loaded: number; total: number }) {
  const percent = total > 0 ? Math.min(100, Math.round((loaded / total) * 100)) : null;
  return (
    <div className="space-y-1">
      <div className="flex justify-between text-xs text-muted-foreground">
        <span>{label}…</span>
        <span>{percent === null ? "" : `${percent}% of ${formatBytes(total)}`}</span>
      </div>
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent ?? undefined}
        className="h-2 overflow-hidden rounded-full bg-muted"
      >
        <div
          className={cn("h-full bg-primary transition-all", percent === null && "w-1/3 animate-pulse")}
          style={percent === null ? undefined : { width: `${percent}%` }}
        />
      </div>
    </div>
  );
}

function RejectedList({ parsed }: { parsed: Pick<ParsedMemberIds, "rejected" | "rejectedCount"> }) {
  if (parsed.rejectedCount === 0) return null;
  return (
    <details className="text-xs" open>
      <summary className="cursor-pointer">
        {formatNumber(parsed.rejectedCount)} rejected{parsed.rejectedCount > parsed.rejected.length ? ` (the first ${parsed.rejected.length} shown)` : ""}
      </summary>
      <ul className="mt-1 space-y-0.5 font-mono">
        {parsed.rejected.map((entry) => (
          <li key={entry.line}>
            line {entry.line}: {entry.reason}
          </li>
        ))}
      </ul>
    </details>
  );
}

/** What was read, before sending. */
function ParsedSummary({ parsed, fileName }: { parsed: ParsedMemberIds; fileName: string | undefined }) {
  return (
    <div className="space-y-1 rounded-md border bg-muted/30 px-3 py-2 text-sm" data-testid="member-ids-preview">
      <p>
        {fileName ? <span className="font-medium">{fileName}: </span> : null}
        {formatNumber(parsed.ids)} ids to store
        {parsed.duplicates > 0 ? `, ${formatNumber(parsed.duplicates)} duplicates left out` : ""}
        {parsed.rejectedCount > 0 ? `, ${formatNumber(parsed.rejectedCount)} rejected` : ""}.
      </p>
      {parsed.rejectedCount > 0 ? <p className="text-destructive">Fix or remove the rejected lines to store the list.</p> : null}
      <RejectedList parsed={parsed} />
    </div>
  );
}

/** What was stored: the members now, and what the list held twice. */
function UploadResult({ answer }: { answer: StoredMembers }) {
  return (
    <Alert variant="success" role="status" data-testid="member-upload-result">
      <AlertDescription>
        Stored {formatNumber(answer.members)} {answer.members === 1 ? "member" : "members"}. Added: {formatNumber(answer.parsed.ids)} · duplicates:{" "}
        {formatNumber(answer.parsed.duplicates)} · rejected: {formatNumber(answer.parsed.rejectedCount)}.
      </AlertDescription>
    </Alert>
  );
}
