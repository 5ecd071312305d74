"use client";

import { useMutation } from "@tanstack/react-query";
import { FlaskConical } from "lucide-react";
import { useId, useState } from "react";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Badge } from "~/components/ui/badge";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { Textarea } from "~/components/ui/textarea";
import type { TriggerAction } from "~/core/triggers";
import { useTRPC } from "~/trpc/react";
import { describeAction } from "./action-drafts";
import { useWebhookEndpointUrls } from "./endpoint-urls";

type JsonObject = Record<string, never>;

/** Parses a JSON text a person typed; `shape` says whether an object or an array is expected. */
function parseJson(label: string, text: string, shape: "object" | "array"): { ok: true; value: unknown } | { ok: false; message: string } {
  if (text.trim() === "") return { ok: true, value: shape === "object" ? {} : [] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `${label}: not valid JSON (${error instanceof Error ? error.message : "parse error"}).` };
  }
  const isArray = Array.isArray(value);
  if (shape === "array" ? !isArray : typeof value !== "object" || value === null || isArray) {
    return { ok: false, message: `${label}: must be a JSON ${shape === "object" ? 'object, like {"amount": 120}' : "array"}.` };
  }
  return { ok: true, value };
}

/** Evaluates the rule being edited on a sample event and profile, on the server's checker and evaluator. */
export function RuleTestPanel({
  projectId,
  rule,
  actions,
  defaultEventName,
}: {
  projectId: string;
  rule: string;
  actions: TriggerAction[];
  defaultEventName: string;
}) {
  const trpc = useTRPC();
  const id = useId();
  const [eventName, setEventName] = useState(defaultEventName);
  const [profileId, setProfileId] = useState("");
  const [eventProps, setEventProps] = useState('{\n  "amount": 12000.5\n}');
  const [profileProps, setProfileProps] = useState('{\n  "vip_level": 3\n}');
  const [history, setHistory] = useState("");
  const [inputError, setInputError] = useState<string | null>(null);
  const test = useMutation(trpc.triggers.test.mutationOptions());
  const endpointUrls = useWebhookEndpointUrls(projectId);

  function run() {
    const parsed = [
      parseJson("Event props", eventProps, "object"),
      parseJson("Profile props", profileProps, "object"),
      parseJson("Earlier events", history, "array"),
    ] as const;
    const failed = parsed.find((result) => !result.ok);
    if (failed && !failed.ok) {
      setInputError(failed.message);
      return;
    }
    if (eventName.trim() === "") {
      setInputError("Event name: is required.");
      return;
    }
    setInputError(null);
    const [event, profile, earlier] = parsed.map((result) => (result.ok ? result.value : null));
    test.mutate({
      projectId,
      rule,
      // Blank: the sample's own profile, in no cohort; a real id reads that profile's cohort membership.
      event: { name: eventName.trim(), props: event as JsonObject, ...(profileId.trim() === "" ? {} : { profile_id: profileId.trim() }) },
      profile: { props: profile as JsonObject },
      history: earlier as { name: string; props: JsonObject; secondsAgo: number }[],
      actions,
    });
  }

  const result = test.data;
  return (
    <section aria-labelledby={`${id}-title`} className="space-y-3 rounded-md border bg-background p-3">
      <div className="flex items-center gap-2">
        <FlaskConical className="h-4 w-4 text-muted-foreground" aria-hidden="true" />
        <h4 id={`${id}-title`} className="text-sm font-semibold">
          Test the rule
        </h4>
        <span className="text-xs text-muted-foreground">on a sample event; windows hold the sample and any earlier events you list.</span>
      </div>
      <div className="grid gap-3 md:grid-cols-3">
        <div className="space-y-1.5">
          <Label htmlFor={`${id}-name`}>Event name</Label>
          <Input id={`${id}-name`} value={eventName} onChange={(event) => setEventName(event.target.value)} placeholder="purchase" autoComplete="off" />
          <Label htmlFor={`${id}-profile-id`}>Profile id</Label>
          <Input
            id={`${id}-profile-id`}
            value={profileId}
            onChange={(event) => setProfileId(event.target.value)}
            placeholder="sample-profile"
            autoComplete="off"
            aria-describedby={`${id}-profile-id-hint`}
          />
          <p id={`${id}-profile-id-hint`} className="text-xs text-muted-foreground">
            For <code>profile.in_cohort</code>: whose current cohort membership counts.
          </p>
        </div>
        <div className="space-y-1.5">
          <Label htmlFor={`${id}-event`}>Event props (JSON)</Label>
          <Textarea
            id={`${id}-event`}
            value={eventProps}
            onChange={(event) => setEventProps(event.target.value)}
            rows={4}
            spellCheck={false}
            className="font-mono text-xs"
          />
        </div>
        <div className="space-y-1.5">
          <Label htmlFor={`${id}-profile`}>Profile props (JSON)</Label>
          <Textarea
            id={`${id}-profile`}
            value={profileProps}
            onChange={(event) => setProfileProps(event.target.value)}
            rows={4}
            spellCheck={false}
            className="font-mono text-xs"
          />
        </div>
      </div>
      <details className="text-sm">
        <summary className="cursor-pointer text-muted-foreground">Earlier events of this profile (for window.*)</summary>
        <div className="mt-2 space-y-1.5">
          <Label htmlFor={`${id}-history`}>Earlier events (JSON array)</Label>
          <Textarea
            id={`${id}-history`}
            value={history}
            onChange={(event) => setHistory(event.target.value)}
            rows={3}
            spellCheck={false}
            className="font-mono text-xs"
            placeholder={'[{"name": "purchase", "props": {"amount": 80}, "secondsAgo": 120}]'}
          />
        </div>
      </details>
      <div className="flex flex-wrap items-center gap-3">
        <Button type="button" variant="secondary" size="sm" onClick={run} disabled={test.isPending || rule.trim() === ""}>
          {test.isPending ? "Testing…" : "Run test"}
        </Button>
        <div role="status" aria-live="polite" className="flex flex-wrap items-center gap-2 text-sm">
          {inputError ? <span className="text-destructive">{inputError}</span> : null}
          {test.isError ? <span className="text-destructive">{errorMessage(test.error)}</span> : null}
          {result && !inputError && !test.isError ? (
            result.error ? (
              <>
                <Badge variant="destructive">error</Badge>
                <span className="text-destructive">{result.error}</span>
              </>
            ) : result.result ? (
              <>
                <Badge variant="success">fires</Badge>
                <span>
                  {result.actionsThatWouldRun.length === 0
                    ? "No actions would run."
                    : `${result.actionsThatWouldRun.length} action${result.actionsThatWouldRun.length === 1 ? "" : "s"} would run:`}
                </span>
              </>
            ) : (
              <>
                <Badge variant="secondary">does not fire</Badge>
                <span className="text-muted-foreground">No actions would run.</span>
              </>
            )
          ) : null}
        </div>
      </div>
      {result && !result.error && result.actionsThatWouldRun.length > 0 && !inputError ? (
        <ul className="space-y-1 text-sm" aria-label="Actions that would run">
          {result.actionsThatWouldRun.map((action, index) => (
            <li key={index} className="flex items-center gap-2">
              <Badge variant="outline">{action.type}</Badge>
              <span className="truncate">{describeAction(action, endpointUrls)}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
