"use client";

import { Download, Loader2, X } from "lucide-react";
import { useRef, useState } from "react";
import { z } from "zod";
import { HydratedButton as Button } from "~/components/hydrated-button";
import type { EventFilter, ReportSpec } from "~/core/reports";
import { formatBytes } from "./report-model";

export type ExportSource = { kind: "report"; report: ReportSpec } | { kind: "events"; filter: EventFilter };
type Format = "csv" | "json";

interface Progress {
  format: Format;
  rows: number;
  bytes: number;
  totalRows: number | null;
}

const problemSchema = z.object({ message: z.string() });
const NEWLINE = 10;

/** The file name the server chose (Content-Disposition), or a sensible one. */
function filenameOf(response: Response, format: Format): string {
  const match = /filename="?([^";]+)"?/i.exec(response.headers.get("content-disposition") ?? "");
  return match?.[1] ?? `prism-export.${format}`;
}

/** Asks the server for the export; a refusal becomes an Error with the server's message. */
async function requestExport(
  projectId: string,
  format: Format,
  source: ExportSource,
  signal: AbortSignal,
): Promise<{ response: Response; body: ReadableStream<Uint8Array<ArrayBuffer>> }> {
  const response = await fetch(`/api/projects/${encodeURIComponent(projectId)}/export`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ format, source }),
    signal,
  });
  if (!response.ok || !response.body) {
    const problem = problemSchema.safeParse(await response.json().catch(() => null));
    throw new Error(problem.success ? problem.data.message : `The export failed (HTTP ${response.status}).`);
  }
  return { response, body: response.body };
}

/** Reads the whole body, reporting the bytes and line ends seen so far after every chunk. */
async function readCountingLines(
  body: ReadableStream<Uint8Array<ArrayBuffer>>,
  onChunk: (bytes: number, lines: number) => void,
): Promise<{ chunks: Uint8Array<ArrayBuffer>[]; bytes: number; lines: number }> {
  const reader = body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let bytes = 0;
  let lines = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    bytes += value.byteLength;
    for (const byte of value) if (byte === NEWLINE) lines += 1;
    onChunk(bytes, lines);
  }
  return { chunks, bytes, lines };
}

/** Hands the file to the browser's downloads. */
function saveFile(chunks: Uint8Array<ArrayBuffer>[], type: string, filename: string) {
  const url = URL.createObjectURL(new Blob(chunks, { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Downloads an export with visible progress: the body is read chunk by chunk (rows counted by
 * line ends as they arrive), then handed to the browser as one Blob. A stream that breaks off is
 * reported, never saved as if it were complete.
 */
export function ExportButtons({ projectId, source, disabled }: { projectId: string; source: ExportSource | null; disabled?: boolean }) {
  const [progress, setProgress] = useState<Progress | null>(null);
  const [message, setMessage] = useState<{ tone: "error" | "done"; text: string } | null>(null);
  const abort = useRef<AbortController | null>(null);

  async function run(format: Format) {
    if (!source) return;
    const controller = new AbortController();
    abort.current = controller;
    setMessage(null);
    setProgress({ format, rows: 0, bytes: 0, totalRows: null });
    try {
      const { response, body } = await requestExport(projectId, format, source, controller.signal);
      const totalHeader = response.headers.get("x-total-rows");
      const totalRows = totalHeader === null ? null : Number(totalHeader);
      // CSV: a header line, then a line per row; JSON: a line per row, then two for the closing "]".
      const { chunks, bytes, lines } = await readCountingLines(body, (bytesSoFar, linesSoFar) =>
        setProgress({ format, bytes: bytesSoFar, totalRows, rows: Math.max(0, format === "csv" ? linesSoFar - 1 : linesSoFar) }),
      );
      const rows = Math.max(0, format === "csv" ? lines - 1 : lines - 2);
      if (totalRows !== null && Number.isFinite(totalRows) && rows < totalRows) {
        throw new Error(`The export stopped after ${rows} of ${totalRows} rows; nothing was saved. Try again.`);
      }
      saveFile(chunks, response.headers.get("content-type") ?? "application/octet-stream", filenameOf(response, format));
      setMessage({ tone: "done", text: `Downloaded ${rows} row${rows === 1 ? "" : "s"} (${formatBytes(bytes)}).` });
    } catch (error) {
      if (controller.signal.aborted) setMessage({ tone: "error", text: "Export cancelled." });
      else setMessage({ tone: "error", text: error instanceof Error && error.message ? error.message : "The export failed; please try again." });
    } finally {
      abort.current = null;
      setProgress(null);
    }
  }

  return (
    <div className="flex flex-wrap items-center gap-2">
      {progress ? (
        <div role="status" aria-live="polite" className="flex items-center gap-2 text-xs text-muted-foreground" data-testid="export-progress">
          <Loader2 className="h-3.5 w-3.5 animate-spin" aria-hidden="true" />
          <span className="tabular-nums">
            {progress.format.toUpperCase()}: {progress.rows}
            {progress.totalRows !== null ? ` / ${progress.totalRows}` : ""} rows · {formatBytes(progress.bytes)}
          </span>
          <Button type="button" variant="ghost" size="sm" className="h-7 px-2" onClick={() => abort.current?.abort()}>
            <X className="h-3.5 w-3.5" aria-hidden="true" />
            Cancel
          </Button>
        </div>
      ) : (
        <>
          <Button type="button" variant="outline" size="sm" disabled={disabled || !source} onClick={() => void run("csv")}>
            <Download className="h-3.5 w-3.5" aria-hidden="true" />
            Export CSV
          </Button>
          <Button type="button" variant="outline" size="sm" disabled={disabled || !source} onClick={() => void run("json")}>
            <Download className="h-3.5 w-3.5" aria-hidden="true" />
            Export JSON
          </Button>
        </>
      )}
      {message ? (
        <p
          role={message.tone === "error" ? "alert" : "status"}
          className={message.tone === "error" ? "text-xs text-destructive" : "text-xs text-muted-foreground"}
        >
          {message.text}
        </p>
      ) : null}
    </div>
  );
}
