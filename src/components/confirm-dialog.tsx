"use client";

import { useId, type ReactNode } from "react";
import { useForm, useWatch } from "react-hook-form";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Dialog, DialogFooter } from "~/components/ui/dialog";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";

interface ConfirmDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: ReactNode;
  description: ReactNode;
  /** The confirming button's name, e.g. "Revoke key". */
  confirmLabel: string;
  pendingLabel?: string;
  pending?: boolean;
  error?: string | null;
  /** When set, the person must type this text (a name) before confirming. */
  requireText?: string;
  destructive?: boolean;
  onConfirm: () => void;
}

/** Asks before a destructive action; optionally makes the person type the name of what goes away. */
export function ConfirmDialog(props: ConfirmDialogProps) {
  return (
    <Dialog open={props.open} onOpenChange={(open) => !props.pending && props.onOpenChange(open)} title={props.title} description={props.description}>
      <ConfirmBody {...props} />
    </Dialog>
  );
}

function ConfirmBody({ confirmLabel, pendingLabel, pending = false, error, requireText, destructive = true, onConfirm, onOpenChange }: ConfirmDialogProps) {
  const form = useForm({ defaultValues: { typed: "" } });
  const inputId = useId();
  const typed = useWatch({ control: form.control, name: "typed" });
  const matches = requireText === undefined || typed === requireText;
  return (
    <form
      className="space-y-4"
      onSubmit={(event) => {
        event.preventDefault();
        if (matches && !pending) onConfirm();
      }}
    >
      {requireText !== undefined ? (
        <div className="space-y-2">
          <Label htmlFor={inputId}>
            Type <span className="font-mono font-semibold">{requireText}</span> to confirm
          </Label>
          <Input id={inputId} {...form.register("typed")} autoComplete="off" autoFocus />
        </div>
      ) : null}
      {error ? (
        <p role="alert" className="text-sm text-destructive">
          {error}
        </p>
      ) : null}
      <DialogFooter>
        <Button type="button" variant="outline" onClick={() => onOpenChange(false)} disabled={pending}>
          Cancel
        </Button>
        <Button type="submit" variant={destructive ? "destructive" : "default"} disabled={!matches || pending}>
          {pending ? (pendingLabel ?? "Working…") : confirmLabel}
        </Button>
      </DialogFooter>
    </form>
  );
}
