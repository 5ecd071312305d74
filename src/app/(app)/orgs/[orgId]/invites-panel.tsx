"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { z } from "zod";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { CopyButton } from "~/components/copy-button";
import { DateTime } from "~/components/date-time";
import { EmptyState } from "~/components/empty-state";
import { errorMessage, errorsFromServer } from "~/components/form-errors";
import { Field, FormError } from "~/components/form-field";
import { ACTIONS_COLUMN, DataTable, QueryState } from "~/components/query-state";
import { RoleBadge } from "~/components/role-badge";
import { Badge } from "~/components/ui/badge";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { useZodForm } from "~/components/use-zod-form";
import { Select } from "~/components/ui/select";
import { TableCell, TableRow } from "~/components/ui/table";
import { emailSchema } from "~/core/account";
import { ROLES, type RoleName } from "~/core/roles";
import type { RouterOutputs } from "~/app/(app)/router-types";
import { useTRPC } from "~/trpc/react";

type Invite = RouterOutputs["invites"]["list"][number];

const inviteInput = z.strictObject({ email: emailSchema, role: z.enum(ROLES) });

/** `mailDelivered` false: no SMTP, so links are shown to the inviter to hand over instead of mailed. */
export function InvitesPanel({ orgId, role, mailDelivered }: { orgId: string; role: RoleName; mailDelivered: boolean }) {
  const trpc = useTRPC();
  const invites = useQuery(trpc.invites.list.queryOptions({ orgId }));

  return (
    <Card id="invites">
      <CardHeader>
        <CardTitle>
          <h2>Invites</h2>
        </CardTitle>
        <CardDescription>
          {mailDelivered
            ? "Invite people by email. Links are valid for 7 days; resending makes a fresh link and the old one stops working."
            : "This Prism has no mail server set up, so you get each invite link to send yourself. Links are valid for 7 days; copying a new link makes the old one stop working."}
        </CardDescription>
      </CardHeader>
      <CardContent className="space-y-6">
        <InviteForm orgId={orgId} myRole={role} />
        <QueryState
          query={invites}
          rows={2}
          isEmpty={(data) => data.length === 0}
          empty={<EmptyState title="No pending invites" description="Invites you send appear here until they are accepted or revoked." />}
        >
          {(data) => (
            <DataTable label="Pending invites" columns={["Email", "Role", "Status", "Sent", "Expires", ACTIONS_COLUMN]}>
              {data.map((invite) => (
                <InviteRow key={invite.id} orgId={orgId} invite={invite} mailDelivered={mailDelivered} />
              ))}
            </DataTable>
          )}
        </QueryState>
      </CardContent>
    </Card>
  );
}

function InviteForm({ orgId, myRole }: { orgId: string; myRole: RoleName }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useZodForm(inviteInput, { defaultValues: { email: "", role: "member" } });
  const create = useMutation(
    trpc.invites.create.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.invites.list.queryKey({ orgId }) });
      },
    }),
  );
  const server = errorsFromServer(create.error);
  const roleOptions = ROLES.filter((name) => name !== "owner" || myRole === "owner");

  const onSubmit = form.handleSubmit((values) => create.mutate({ orgId, ...values }, { onSuccess: () => form.reset() }));

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-3" aria-label="Invite a member">
      <div className="grid gap-4 sm:grid-cols-[1fr_12rem_auto] sm:items-start">
        <Field control={form.control} name="email" id="invite-email" label="Email" serverError={server.fields.email}>
          {(control) => <Input {...control} type="email" placeholder="teammate@example.com" autoComplete="off" />}
        </Field>
        <Field control={form.control} name="role" id="invite-role" label="Role" serverError={server.fields.role}>
          {(control) => (
            <Select {...control} defaultValue="member">
              {roleOptions.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Button type="submit" className="sm:mt-6" disabled={create.isPending}>
          {create.isPending ? "Sending…" : "Invite"}
        </Button>
      </div>
      <FormError messages={[server.form]} />
      {create.isSuccess && create.data.link ? (
        <InviteLink email={create.data.email} link={create.data.link} />
      ) : create.isSuccess ? (
        <p role="status" className="text-sm text-emerald-700">
          Invitation sent to {create.data.email}.
        </p>
      ) : null}
    </form>
  );
}

/** A link to hand over, shown once: only its hash is kept, so it cannot be shown again. */
function InviteLink({ email, link }: { email: string; link: string }) {
  return (
    <div
      role="status"
      aria-label={`Invite link for ${email}`}
      className="space-y-2 rounded-md border border-emerald-300 bg-emerald-50 p-3 text-sm text-emerald-900"
    >
      <p>Invite for {email} created. Send them this link yourself; it is shown only once (copy a new link from the list if you lose it).</p>
      <div className="flex items-center gap-2">
        <code data-testid="invite-link" className="min-w-0 flex-1 break-all rounded bg-background px-2 py-1 font-mono text-xs text-foreground">
          {link}
        </code>
        <CopyButton text={link} label="Copy link" aria-label={`Copy invite link for ${email}`} />
      </div>
    </div>
  );
}

function InviteRow({ orgId, invite, mailDelivered }: { orgId: string; invite: Invite; mailDelivered: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirmRevoke, setConfirmRevoke] = useState(false);
  const listKey = trpc.invites.list.queryKey({ orgId });
  const resend = useMutation(trpc.invites.resend.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: listKey }) }));
  const revoke = useMutation(
    trpc.invites.revoke.mutationOptions({
      onSuccess: async () => {
        setConfirmRevoke(false);
        await queryClient.invalidateQueries({ queryKey: listKey });
      },
    }),
  );
  const resendError = errorMessage(resend.error);

  return (
    <TableRow>
      <TableCell className="font-medium">
        {invite.email}
        {resendError ? (
          <p role="alert" className="text-xs font-normal text-destructive">
            {resendError}
          </p>
        ) : null}
        {resend.isSuccess && resend.data.link ? (
          <div className="mt-2 font-normal">
            <InviteLink email={invite.email} link={resend.data.link} />
          </div>
        ) : resend.isSuccess ? (
          <p role="status" className="text-xs font-normal text-emerald-700">
            A fresh invite was sent.
          </p>
        ) : null}
      </TableCell>
      <TableCell>
        <RoleBadge role={invite.role} />
      </TableCell>
      <TableCell>{invite.state === "expired" ? <Badge variant="warning">expired</Badge> : <Badge variant="secondary">{invite.state}</Badge>}</TableCell>
      <TableCell>
        <DateTime value={invite.createdAt} />
      </TableCell>
      <TableCell>
        <DateTime value={invite.expiresAt} />
      </TableCell>
      <TableCell className="space-x-2 whitespace-nowrap text-right">
        <Button
          size="sm"
          variant="outline"
          aria-label={mailDelivered ? `Resend invite to ${invite.email}` : `Copy a new invite link for ${invite.email}`}
          disabled={resend.isPending}
          onClick={() => resend.mutate({ orgId, inviteId: invite.id })}
        >
          {resend.isPending ? (mailDelivered ? "Resending…" : "Making a link…") : mailDelivered ? "Resend" : "New link"}
        </Button>
        <Button size="sm" variant="outline" className="text-destructive" aria-label={`Revoke invite to ${invite.email}`} onClick={() => setConfirmRevoke(true)}>
          Revoke
        </Button>
        <ConfirmDialog
          open={confirmRevoke}
          onOpenChange={(open) => {
            setConfirmRevoke(open);
            if (!open) revoke.reset();
          }}
          title={`Revoke the invite to ${invite.email}?`}
          description="The invite link stops working. You can invite them again later."
          confirmLabel="Revoke invite"
          pendingLabel="Revoking…"
          pending={revoke.isPending}
          error={errorMessage(revoke.error)}
          onConfirm={() => revoke.mutate({ orgId, inviteId: invite.id })}
        />
      </TableCell>
    </TableRow>
  );
}
