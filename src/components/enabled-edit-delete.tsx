"use client";

import { HydratedButton as Button } from "~/components/hydrated-button";
import { Checkbox } from "~/components/ui/checkbox";
import { Label } from "~/components/ui/label";

/** The controls of a rule-like card (triggers, alerts): an Enabled switch, Edit and Delete, each named after the item for screen readers. */
export function EnabledEditDelete(props: {
  id: string;
  name: string;
  enabled: boolean;
  busy: boolean;
  onEnabledChange(next: boolean): void;
  onEdit(): void;
  onDelete(): void;
}) {
  return (
    <div className="flex flex-wrap items-center gap-3">
      <div className="flex items-center gap-2">
        <Checkbox
          id={props.id}
          role="switch"
          aria-checked={props.enabled}
          checked={props.enabled}
          disabled={props.busy}
          onChange={(event) => props.onEnabledChange(event.target.checked)}
        />
        <Label htmlFor={props.id} className="font-normal">
          <span className="sr-only">{props.name} </span>Enabled
        </Label>
      </div>
      <Button size="sm" variant="outline" aria-label={`Edit ${props.name}`} onClick={props.onEdit}>
        Edit
      </Button>
      <Button size="sm" variant="outline" className="text-destructive" aria-label={`Delete ${props.name}`} onClick={props.onDelete}>
        Delete
      </Button>
    </div>
  );
}
