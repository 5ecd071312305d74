"use client";

import { useState } from "react";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { CopyButton } from "~/components/copy-button";
import { DateTime } from "~/components/date-time";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Alert, AlertDescription } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Dialog, DialogFooter } from "~/components/ui/dialog";
import { TableCell } from "~/components/ui/table";

/** The dialog that shows a new key's secret, the only time it is ever shown. */
export function NewKeyDialog({
  created,
  onClose,
  title,
  description,
  secretTestId,
}: {
  created: { secret: string } | null;
  onClose: () => void;
  title: string;
  description: string | undefined;
  secretTestId: string;
}) {
  return (
    <Dialog open={created !== null} onOpenChange={(open) => !open && onClose()} title={title} description={description}>
      {created ? (
        <div className="space-y-4">
          <Alert variant="warning">
            <AlertDescription>
              <strong>This key is shown only once.</strong> Copy it now and keep it somewhere safe; if you lose it, create a new key and revoke this one.
            </AlertDescription>
          </Alert>
          <div className="flex items-center gap-2">
            <code data-testid={secretTestId} className="flex-1 break-all rounded-md border bg-muted px-3 py-2 font-mono text-sm">
              {created.secret}
            </code>
            <CopyButton text={created.secret} label="Copy key" />
          </div>
          <DialogFooter>
            <Button onClick={onClose}>Done</Button>
          </DialogFooter>
        </div>
      ) : null}
    </Dialog>
  );
}

/** A key row's prefix, dates and status cells, the same for project and organisation keys. */
export function KeyDetailCells({ apiKey }: { apiKey: { prefix: string; createdAt: Date | string; lastUsedAt: Date | string | null; status: string } }) {
  const active = apiKey.status === "active";
  return (
    <>
      <TableCell>
        <code className="text-xs">{apiKey.prefix}…</code>
      </TableCell>
      <TableCell>
        <DateTime value={apiKey.createdAt} />
      </TableCell>
      <TableCell>
        <DateTime value={apiKey.lastUsedAt} fallback="Never" />
      </TableCell>
      <TableCell>{active ? <Badge variant="success">active</Badge> : <Badge variant="destructive">revoked</Badge>}</TableCell>
    </>
  );
}

/** Revoke, behind a confirmation that says what stops working. */
export function RevokeKeyButton({
  name,
  title,
  description,
  revoke,
}: {
  name: string;
  title: string;
  description: string;
  revoke: { isPending: boolean; error: unknown; reset(): void; run(onDone: () => void): void };
}) {
  const [confirming, setConfirming] = useState(false);
  return (
    <>
      <Button size="sm" variant="outline" className="text-destructive" aria-label={`Revoke ${name}`} onClick={() => setConfirming(true)}>
        Revoke
      </Button>
      <ConfirmDialog
        open={confirming}
        onOpenChange={(open) => {
          setConfirming(open);
          if (!open) revoke.reset();
        }}
        title={title}
        description={description}
        confirmLabel="Revoke key"
        pendingLabel="Revoking…"
        pending={revoke.isPending}
        error={errorMessage(revoke.error)}
        onConfirm={() => revoke.run(() => setConfirming(false))}
      />
    </>
  );
}
