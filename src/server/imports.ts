/**
 * Import and backfill, the app's side: a job row (ImportJob) made before the upload, then the upload
 * itself, streamed line by line (never held whole), judged in chunks exactly as live ingest judges
 * a batch (src/core/ingest/import → judgeBatch), and produced to event.raw through the same
 * producer live ingest uses (the worker's gateway, or Upstash). Progress is written to the job as
 * the file is read; the UI polls it.
 *
 * Guarantees: a chunk is counted as accepted only once the producer acknowledged it (durable), and
 * the next chunk is read only then, so a slow bus slows the upload instead of filling memory.
 * Importing the same file again stores nothing twice: event_ids depend only on the file's content;
 * the processor drops ids seen in the last 7 days and the sink drops backfilled events whose
 * (project, event_id) it already holds at that event time. Refused lines are reported on the job
 * (the first 100, with their line numbers), not dead-lettered: the file is the copy to fix.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Prisma, PrismaClient } from "~/generated/prisma/client";
import type { ResolvedKey } from "~/core/tracking-plan";
import { rawRecordOf, type OutgoingRecord } from "~/core/ingest/judge";
import {
  createRecordReader,
  csvHeader,
  IMPORT_FORMATS,
  IMPORT_LIMITS,
  importInputOf,
  judgeImport,
  type FileRecord,
  type ImportFormat,
  type ImportInput,
  type ImportRefusal,
} from "~/core/ingest/import";
import { resolveProjectPlan } from "~/platform/resolve-key";
import { projectAccess } from "~/server/organizations";
import { ROLE_LEVEL } from "~/core/roles";

export const importFormatSchema = z.enum(IMPORT_FORMATS);
export type ImportStatus = "pending" | "running" | "done" | "failed";

export const startImportInput = {
  format: importFormatSchema,
  fireActions: z.boolean().default(false),
  fileName: z.string().max(255).default(""),
  totalBytes: z.number().int().min(0).max(IMPORT_LIMITS.maxFileBytes).nullable().default(null),
};

/** Lines judged and produced together; a chunk's records go to the producer in slices of at most this many bytes. */
const CHUNK_LINES = 1000;
const SLICE_BYTES = 4 * 1024 * 1024;
const PRODUCE_TIMEOUT_MS = 60_000;
/** Progress is written at most this often (and at the end). */
const PROGRESS_EVERY_MS = 500;

export async function startImport(
  db: PrismaClient,
  opts: {
    projectId: string;
    format: ImportFormat;
    fireActions: boolean;
    fileName: string;
    totalBytes: number | null;
    requestedBy: { id: string; email: string };
  },
): Promise<{ importId: string }> {
  const created = await db.importJob.create({
    data: {
      projectId: opts.projectId,
      format: opts.format,
      fireActions: opts.fireActions,
      fileName: opts.fileName,
      totalBytes: opts.totalBytes,
      requestedById: opts.requestedBy.id,
      requestedByEmail: opts.requestedBy.email,
    },
    select: { id: true },
  });
  return { importId: created.id };
}

const VIEW = {
  id: true,
  format: true,
  fileName: true,
  fireActions: true,
  status: true,
  bytesRead: true,
  totalBytes: true,
  linesRead: true,
  accepted: true,
  refused: true,
  refusals: true,
  error: true,
  requestedByEmail: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
} as const;

const refusalSchema = z.object({ line: z.number(), reason: z.string(), field: z.string().optional(), message: z.string() });

function toView(row: {
  id: string;
  format: string;
  fileName: string;
  fireActions: boolean;
  status: string;
  bytesRead: number;
  totalBytes: number | null;
  linesRead: number;
  accepted: number;
  refused: number;
  refusals: unknown;
  error: string | null;
  requestedByEmail: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}) {
  const refusals = z.array(refusalSchema).safeParse(row.refusals);
  return {
    importId: row.id,
    format: row.format as ImportFormat,
    fileName: row.fileName,
    fireActions: row.fireActions,
    status: row.status as ImportStatus,
    bytesRead: row.bytesRead,
    totalBytes: row.totalBytes,
    linesRead: row.linesRead,
    accepted: row.accepted,
    refused: row.refused,
    refusals: refusals.success ? refusals.data : [],
    error: row.error,
    requestedBy: row.requestedByEmail,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}
export type ImportView = ReturnType<typeof toView>;

export async function readImport(db: PrismaClient, projectId: string, importId: string): Promise<ImportView> {
  // Scoped by project: another tenant's job id reads as missing.
  const row = await db.importJob.findFirst({ where: { id: importId, projectId }, select: VIEW });
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "Import not found." });
  return toView(row);
}

export async function listImports(db: PrismaClient, projectId: string, limit = 50): Promise<ImportView[]> {
  const rows = await db.importJob.findMany({ where: { projectId }, orderBy: { createdAt: "desc" }, take: limit, select: VIEW });
  return rows.map(toView);
}

class ProduceTimeout extends Error {}

async function produceBounded(produce: (records: OutgoingRecord[]) => Promise<void>, records: OutgoingRecord[]): Promise<void> {
  let slice: OutgoingRecord[] = [];
  let bytes = 0;
  const send = async () => {
    if (slice.length === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ProduceTimeout(`the event bus did not confirm within ${PRODUCE_TIMEOUT_MS / 1000} s`)), PRODUCE_TIMEOUT_MS);
    });
    try {
      await Promise.race([produce(slice), timeout]);
    } finally {
      clearTimeout(timer);
    }
    slice = [];
    bytes = 0;
  };
  for (const record of records) {
    const size = record.value.length + record.key.length + 64;
    if (bytes + size > SLICE_BYTES) await send();
    slice.push(record);
    bytes += size;
  }
  await send();
}

export interface RunImportOptions {
  db: PrismaClient;
  importId: string;
  plan: ResolvedKey;
  format: ImportFormat;
  fireActions: boolean;
  body: ReadableStream<Uint8Array>;
  produce(records: OutgoingRecord[]): Promise<void>;
  now?: () => number;
  maxBytes?: number;
}

export interface ImportSummary {
  status: "done" | "failed";
  linesRead: number;
  accepted: number;
  refused: number;
  refusals: ImportRefusal[];
  error: string | null;
}

/** Reads the upload to its end (or the first failure), producing accepted events chunk by chunk and recording progress on the job. */
export async function runImport(opts: RunImportOptions): Promise<ImportSummary> {
  const now = opts.now ?? (() => Date.now());
  const maxBytes = opts.maxBytes ?? IMPORT_LIMITS.maxFileBytes;
  const summary: ImportSummary = { status: "done", linesRead: 0, accepted: 0, refused: 0, refusals: [], error: null };
  let bytesRead = 0;
  let lastProgress = 0;
  let header: string[] | undefined;
  let pending: Array<{ line: number; input: ImportInput }> = [];
  const traceId = `import:${opts.importId}`;

  const progress = async (force: boolean) => {
    if (!force && now() - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = now();
    await opts.db.importJob.update({
      where: { id: opts.importId },
      data: {
        bytesRead,
        linesRead: summary.linesRead,
        accepted: summary.accepted,
        refused: summary.refused,
        refusals: summary.refusals as unknown as Prisma.InputJsonValue,
      },
    });
  };

  const flush = async () => {
    if (pending.length === 0) return;
    const judgement = judgeImport(pending, { plan: opts.plan, receivedAt: now(), requestCtx: {} }, { jobId: opts.importId, fireActions: opts.fireActions });
    await produceBounded(
      opts.produce,
      judgement.accepted.map(({ record }) => rawRecordOf(record, traceId)),
    );
    summary.accepted += judgement.accepted.length;
    summary.refused += judgement.refused.length;
    for (const refusal of judgement.refused) if (summary.refusals.length < IMPORT_LIMITS.maxRefusalsKept) summary.refusals.push(refusal);
    pending = [];
    await progress(false);
  };

  const take = async (records: FileRecord[]) => {
    for (const record of records) {
      summary.linesRead = Math.max(summary.linesRead, record.line);
      if (opts.format === "csv" && !header) {
        if (!("fields" in record)) throw new ImportFailure("problem" in record ? `line ${record.line}: ${record.problem}` : "the CSV header is missing");
        const parsed = csvHeader(record.fields);
        if (!parsed.ok) throw new ImportFailure(parsed.message);
        header = parsed.header;
        continue;
      }
      pending.push({ line: record.line, input: importInputOf(opts.format, record, header) });
      if (pending.length >= CHUNK_LINES) await flush();
    }
  };

  const reader = opts.body.getReader();
  const decoder = new TextDecoder("utf-8");
  const records = createRecordReader(opts.format);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytesRead += value.byteLength;
      if (bytesRead > maxBytes) throw new ImportFailure(`the file is over ${Math.round(maxBytes / 1024 / 1024)} MB; the lines before the limit were imported`);
      await take(records.push(decoder.decode(value, { stream: true })));
    }
    await take([...records.push(decoder.decode()), ...records.end()]);
    await flush();
  } catch (error) {
    summary.status = "failed";
    summary.error =
      error instanceof ImportFailure
        ? error.message
        : error instanceof ProduceTimeout
          ? `${error.message}; the lines before it were imported, import the file again to finish (nothing is stored twice)`
          : "the upload stopped before the end of the file; import the file again to finish (nothing is stored twice)";
    await reader.cancel().catch(() => undefined);
  }
  await progress(true);
  await opts.db.importJob.update({
    where: { id: opts.importId },
    data: { status: summary.status, error: summary.error, finishedAt: new Date(now()) },
  });
  return summary;
}

class ImportFailure extends Error {}

const problem = (status: number, error: string, message: string) => Response.json({ error, message }, { status, headers: { "cache-control": "no-store" } });

/**
 * `POST /api/projects/:projectId/imports/:importId` with the file as the body: a signed-in admin
 * of the project uploads the file of a job they started (imports.start). Answers when the whole
 * file is read, with the summary; the job shows progress meanwhile.
 */
export async function handleImportUpload(opts: {
  request: Request;
  projectId: string;
  importId: string;
  userId: string | null;
  db: PrismaClient;
  produce(records: OutgoingRecord[]): Promise<void>;
}): Promise<Response> {
  const { db, projectId, importId } = opts;
  if (!opts.userId) return problem(401, "unauthorized", "Sign in to import.");
  const access = await projectAccess(db, projectId, opts.userId).catch(() => null);
  if (!access) return problem(404, "not_found", "Project not found.");
  if (ROLE_LEVEL[access.role] < ROLE_LEVEL.admin) return problem(403, "forbidden", "Importing data needs the admin role.");
  if (access.project.archivedAt) return problem(403, "project_archived", "This project is archived; unarchive it to import data.");
  const declared = Number(opts.request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > IMPORT_LIMITS.maxFileBytes) {
    return problem(413, "payload_too_large", `Files up to ${IMPORT_LIMITS.maxFileBytes / 1024 / 1024} MB can be imported; split larger ones.`);
  }
  if (!opts.request.body) return problem(400, "malformed", "Send the file as the request body.");
  // Claimed atomically: one upload per job, and only for a job of this project.
  const claimed = await db.importJob.updateMany({ where: { id: importId, projectId, status: "pending" }, data: { status: "running", startedAt: new Date() } });
  if (claimed.count === 0) {
    const exists = await db.importJob.findFirst({ where: { id: importId, projectId }, select: { id: true } });
    return exists ? problem(409, "conflict", "This import already received its file; start a new one.") : problem(404, "not_found", "Import not found.");
  }
  const job = await db.importJob.findUniqueOrThrow({ where: { id: importId }, select: { format: true, fireActions: true } });
  const plan = await resolveProjectPlan(db, projectId);
  if (!plan) return problem(404, "not_found", "Project not found.");
  const summary = await runImport({
    db,
    importId,
    plan,
    format: importFormatSchema.parse(job.format),
    fireActions: job.fireActions,
    body: opts.request.body,
    produce: opts.produce,
  });
  return Response.json({ importId, ...summary }, { status: summary.status === "done" ? 200 : 422, headers: { "cache-control": "no-store" } });
}
