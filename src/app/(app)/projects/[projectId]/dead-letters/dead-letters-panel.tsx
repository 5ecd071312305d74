"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { RotateCcw, Trash2 } from "lucide-react";
import Link from "next/link";
import { useMemo, useState } from "react";
import { z } from "zod";
import type { RouterOutputs } from "~/app/(app)/router-types";
import { DateTime } from "~/components/date-time";
import { EmptyState } from "~/components/empty-state";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { QueryState } from "~/components/query-state";
import { JsonView } from "~/components/reports/json-view";
import { Alert, AlertDescription, AlertTitle } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Checkbox } from "~/components/ui/checkbox";
import { Label } from "~/components/ui/label";
import { Select } from "~/components/ui/select";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "~/components/ui/table";
import { VIOLATION_TYPES, type ViolationType } from "~/core/events";
import { atLeast, type RoleName } from "~/core/roles";
import { useCursorPages } from "~/components/reports/cursor-pages";
import { useTRPC, useTRPCClient } from "~/trpc/react";

type ReplayResult = RouterOutputs["deadLetters"]["replay"];

const REASON_LABELS: Record<ViolationType, string> = {
  unplanned_event: "Unplanned event",
  required_missing: "Required field missing",
  datatype_mismatch: "Wrong data type",
  additional_properties: "Unknown properties",
  malformed: "Malformed",
  unstorable_value: "Unstorable value",
};

type Letter = RouterOutputs["deadLetters"]["list"]["items"][number];

const STAGES = ["ingest", "processor", "sink", "actions", "webhooks"] as const;
type StageFilter = (typeof STAGES)[number];
const stageSchema = z.enum(STAGES);

/**
 * The payload comes as JSON text (any key survives the transport). A consumer's letter holds the
 * record's exact text, shown parsed when it is JSON; bytes that are not UTF-8 come as base64.
 */
function payloadOf(letter: Letter): { value: unknown; text: string } {
  let stored: unknown;
  try {
    stored = JSON.parse(letter.payloadJson);
  } catch {
    return { value: letter.payloadJson, text: letter.payloadJson };
  }
  if (letter.stage !== null && typeof stored === "string") {
    if (letter.payloadEncoding === "base64") return { value: `base64: ${stored}`, text: `base64: ${stored}` };
    try {
      return { value: JSON.parse(stored) as unknown, text: stored };
    } catch {
      return { value: stored, text: stored };
    }
  }
  return { value: stored, text: JSON.stringify(stored) ?? "" };
}

function reasonLabel(reason: string): string {
  return (REASON_LABELS as Record<string, string>)[reason] ?? reason;
}

function preview(text: string): string {
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

const MAX_REPLAY = 100;

export function DeadLettersPanel({ projectId, role }: { projectId: string; role: RoleName }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isAdmin = atLeast(role, "admin");
  const [reason, setReason] = useState<ViolationType | null>(null);
  const [stage, setStage] = useState<StageFilter | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [result, setResult] = useState<ReplayResult | null>(null);
  const client = useTRPCClient();
  const list = useCursorPages(["deadLetters.list", projectId, reason, stage], (cursor: { receivedAt: string; dlqId: string } | null) =>
    client.deadLetters.list.query({ projectId, reason, stage, cursor, limit: 50 }),
  );
  const letters = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);
  const replay = useMutation(
    trpc.deadLetters.replay.mutationOptions({
      onSuccess: async (answer) => {
        setResult(answer);
        setSelected(new Set());
        await queryClient.invalidateQueries({ queryKey: ["deadLetters.list", projectId] });
      },
    }),
  );
  const discard = useMutation(
    trpc.deadLetters.discard.mutationOptions({
      onSuccess: async () => {
        setResult(null);
        setSelected(new Set());
        await queryClient.invalidateQueries({ queryKey: ["deadLetters.list", projectId] });
      },
    }),
  );

  const selectable = letters.filter((letter) => letter.replayedAt === null);
  const allSelected = selectable.length > 0 && selectable.every((letter) => selected.has(letter.dlqId));
  const toggle = (id: string) =>
    setSelected((previous) => {
      const next = new Set(previous);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <Card>
      <CardHeader className="flex-row flex-wrap items-start justify-between gap-4 space-y-0 pb-4">
        <div className="space-y-1.5">
          <CardTitle>
            <h2>Dead letters</h2>
          </CardTitle>
          <CardDescription>
            Events ingest refused and records a pipeline stage could not handle, with why. Fix the{" "}
            <Link href={`/projects/${projectId}/tracking-plan`} className="text-primary underline-offset-4 hover:underline">
              tracking plan
            </Link>
            , then replay them: they are validated again as if just sent.
          </CardDescription>
        </div>
        <div className="flex flex-wrap items-end gap-2">
          <div className="w-full space-y-1.5 sm:w-auto">
            <Label htmlFor="dlq-reason">Reason</Label>
            <Select
              id="dlq-reason"
              className="w-full sm:w-52"
              value={reason ?? ""}
              onChange={(event) => {
                const value = event.target.value;
                setReason((VIOLATION_TYPES as readonly string[]).includes(value) ? (value as ViolationType) : null);
                setSelected(new Set());
              }}
            >
              <option value="">All reasons</option>
              {VIOLATION_TYPES.map((type) => (
                <option key={type} value={type}>
                  {REASON_LABELS[type]}
                </option>
              ))}
            </Select>
          </div>
          <div className="w-full space-y-1.5 sm:w-auto">
            <Label htmlFor="dlq-stage">Stage</Label>
            <Select
              id="dlq-stage"
              className="w-full sm:w-40"
              value={stage ?? ""}
              onChange={(event) => {
                const parsed = stageSchema.safeParse(event.target.value);
                setStage(parsed.success ? parsed.data : null);
                setSelected(new Set());
              }}
            >
              <option value="">All stages</option>
              {STAGES.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </Select>
          </div>
          {isAdmin ? (
            <Button
              disabled={selected.size === 0 || selected.size > MAX_REPLAY || replay.isPending}
              onClick={() => replay.mutate({ projectId, ids: [...selected] })}
              title={selected.size > MAX_REPLAY ? `Replay at most ${MAX_REPLAY} at a time` : undefined}
            >
              <RotateCcw className="h-4 w-4" aria-hidden="true" />
              {replay.isPending ? "Replaying…" : `Replay${selected.size > 0 ? ` ${selected.size}` : ""}`}
            </Button>
          ) : null}
          {isAdmin ? (
            <Button
              variant="outline"
              disabled={selected.size === 0 || selected.size > MAX_REPLAY || discard.isPending}
              onClick={() => discard.mutate({ projectId, ids: [...selected] })}
            >
              <Trash2 className="h-4 w-4" aria-hidden="true" />
              {discard.isPending ? "Discarding…" : `Discard${selected.size > 0 ? ` ${selected.size}` : ""}`}
            </Button>
          ) : null}
        </div>
      </CardHeader>
      <CardContent className="space-y-4">
        {!isAdmin ? (
          <Alert variant="info">
            <AlertDescription>Replaying dead letters needs the admin role.</AlertDescription>
          </Alert>
        ) : null}
        {replay.error ? <Alert variant="destructive">{errorMessage(replay.error)}</Alert> : null}
        {discard.error ? <Alert variant="destructive">{errorMessage(discard.error)}</Alert> : null}
        {result ? (
          <Alert variant={result.refused.length === 0 && result.missing.length === 0 ? "success" : "warning"} data-testid="replay-result">
            <AlertTitle>
              {result.accepted} accepted{result.refused.length > 0 ? `, ${result.refused.length} refused again` : ""}
              {result.missing.length > 0 ? `, ${result.missing.length} no longer found` : ""}
            </AlertTitle>
            {result.refused.length > 0 ? (
              <AlertDescription>
                <ul className="list-disc space-y-0.5 pl-4">
                  {result.refused.map((refusal) => (
                    <li key={refusal.dlqId}>
                      <code className="text-xs">{refusal.dlqId}</code>: {refusal.reason}
                    </li>
                  ))}
                </ul>
                <p className="mt-1">Refused events stay in this list, unreplayed; adjust the tracking plan and retry.</p>
              </AlertDescription>
            ) : null}
          </Alert>
        ) : null}
        <QueryState
          query={list}
          rows={6}
          isEmpty={() => letters.length === 0}
          empty={
            <EmptyState
              title={reason ? "No dead letters for this reason" : "No dead letters"}
              description="Every event sent to this project passed validation. Refused events would show up here with the reason."
            />
          }
        >
          {() => (
            <>
              <Table aria-label="Dead letters">
                <TableHeader>
                  <TableRow>
                    {isAdmin ? (
                      <TableHead className="w-8">
                        <Checkbox
                          aria-label="Select all"
                          checked={allSelected}
                          onChange={() => setSelected(allSelected ? new Set() : new Set(selectable.slice(0, MAX_REPLAY).map((letter) => letter.dlqId)))}
                        />
                      </TableHead>
                    ) : null}
                    <TableHead className="w-44">Received</TableHead>
                    <TableHead>Reason</TableHead>
                    <TableHead>Violations</TableHead>
                    <TableHead>Payload</TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {letters.map((letter) => {
                    // A consumer's error is shown on its own; its violation only repeats it.
                    const violations = letter.stage ? [] : letter.violations;
                    const payload = payloadOf(letter);
                    return (
                      <TableRow key={letter.dlqId} data-testid="dead-letter-row" className={letter.replayedAt ? "text-muted-foreground" : undefined}>
                        {isAdmin ? (
                          <TableCell>
                            <Checkbox
                              aria-label={`Select dead letter ${letter.dlqId}`}
                              disabled={letter.replayedAt !== null}
                              checked={selected.has(letter.dlqId)}
                              onChange={() => toggle(letter.dlqId)}
                            />
                          </TableCell>
                        ) : null}
                        <TableCell className="whitespace-nowrap align-top">
                          <DateTime value={letter.receivedAt} />
                          {letter.replayedAt ? (
                            <div>
                              <Badge variant="success">replayed</Badge>
                            </div>
                          ) : null}
                        </TableCell>
                        <TableCell className="align-top">
                          <Badge variant={letter.reason === "malformed" ? "destructive" : "warning"}>{reasonLabel(letter.reason)}</Badge>
                          <div className="mt-1 text-xs text-muted-foreground" data-testid="dead-letter-stage">
                            {letter.stage ? `stage: ${letter.stage}` : `via ${letter.source}`}
                          </div>
                        </TableCell>
                        <TableCell className="align-top text-sm">
                          {letter.error ? (
                            <p className="break-words font-mono text-xs" data-testid="dead-letter-error">
                              {letter.error}
                            </p>
                          ) : violations.length === 0 ? (
                            <span className="text-muted-foreground">—</span>
                          ) : (
                            <ul className="space-y-0.5">
                              {violations.slice(0, 5).map((violation, index) => (
                                <li key={index}>
                                  {violation.field ? <code className="mr-1 text-xs">{violation.field}</code> : null}
                                  {violation.message ?? violation.type ?? "invalid"}
                                </li>
                              ))}
                              {violations.length > 5 ? <li className="text-xs text-muted-foreground">and {violations.length - 5} more</li> : null}
                            </ul>
                          )}
                        </TableCell>
                        <TableCell className="max-w-80 align-top">
                          <details>
                            <summary className="cursor-pointer truncate font-mono text-xs text-muted-foreground">{preview(payload.text)}</summary>
                            <JsonView value={payload.value} className="mt-2 max-h-60" />
                          </details>
                        </TableCell>
                      </TableRow>
                    );
                  })}
                </TableBody>
              </Table>
              {list.hasNextPage ? (
                <div className="flex justify-end">
                  <Button type="button" variant="outline" size="sm" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
                    {list.isFetchingNextPage ? "Loading…" : "Load more"}
                  </Button>
                </div>
              ) : null}
            </>
          )}
        </QueryState>
      </CardContent>
    </Card>
  );
}
