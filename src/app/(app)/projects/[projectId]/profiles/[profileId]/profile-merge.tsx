"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Dialog, DialogFooter } from "~/components/ui/dialog";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { useTRPC } from "~/trpc/react";

/**
 * Admins: "Merge a profile into this one…", the explicit merge of two known ids (an identify never
 * merges two identified users). The other id's events, from before too, then count as this person.
 */
export function ProfileMerge({ projectId, profileId }: { projectId: string; profileId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const inputId = useId();
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const merge = useMutation(
    trpc.profiles.merge.mutationOptions({
      onSuccess: () => {
        setDone(from.trim());
        setOpen(false);
        setFrom("");
        // The merge is applied by the worker within seconds; the timeline refetches then shows it.
        setTimeout(() => void queryClient.invalidateQueries({ queryKey: ["profiles.timeline", projectId, profileId] }), 3000);
      },
    }),
  );
  const other = from.trim();

  return (
    <>
      {done ? (
        <p role="status" className="text-sm text-muted-foreground" data-testid="profile-merge-status">
          {done} is being merged into this profile.
        </p>
      ) : null}
      <Button type="button" variant="outline" size="sm" onClick={() => setOpen(true)}>
        Merge a profile into this one…
      </Button>
      <Dialog
        open={open}
        onOpenChange={(next) => !merge.isPending && setOpen(next)}
        title="Merge a profile into this one"
        description={`Its events, including past ones, and its props (where ${profileId} has none) become ${profileId}'s, in reports, rules and this page. Nothing stored is rewritten. Use this for two known users who are the same person: an identify never merges them.`}
      >
        <form
          className="space-y-4"
          onSubmit={(event) => {
            event.preventDefault();
            if (other && other !== profileId && !merge.isPending) merge.mutate({ projectId, from: other, into: profileId });
          }}
        >
          <div className="space-y-2">
            <Label htmlFor={inputId}>Profile id to merge</Label>
            <Input id={inputId} value={from} onChange={(event) => setFrom(event.target.value)} autoComplete="off" autoFocus />
          </div>
          {merge.error ? (
            <p role="alert" className="text-sm text-destructive">
              {errorMessage(merge.error)}
            </p>
          ) : null}
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)} disabled={merge.isPending}>
              Cancel
            </Button>
            <Button type="submit" disabled={!other || other === profileId || merge.isPending}>
              {merge.isPending ? "Merging…" : "Merge"}
            </Button>
          </DialogFooter>
        </form>
      </Dialog>
    </>
  );
}
