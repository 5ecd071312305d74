"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { DateTime } from "~/components/date-time";
import { errorMessage } from "~/components/form-errors";
import { ACTIONS_COLUMN, DataTable, QueryState } from "~/components/query-state";
import { RoleBadge } from "~/components/role-badge";
import { Badge } from "~/components/ui/badge";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Label } from "~/components/ui/label";
import { Select } from "~/components/ui/select";
import { TableCell, TableRow } from "~/components/ui/table";
import { atLeast, ROLES, type RoleName } from "~/core/roles";
import type { RouterOutputs } from "~/app/(app)/router-types";
import { useTRPC } from "~/trpc/react";

type Member = RouterOutputs["organizations"]["members"][number];

export function MembersPanel({ orgId, orgName, role }: { orgId: string; orgName: string; role: RoleName }) {
  const trpc = useTRPC();
  const members = useQuery(trpc.organizations.members.queryOptions({ orgId }));

  return (
    <Card id="members">
      <CardHeader>
        <CardTitle>
          <h2>Members</h2>
        </CardTitle>
        <CardDescription>
          {atLeast(role, "admin")
            ? "Change roles or remove people. Only owners can grant or take the owner role."
            : "People in this organisation. Admins manage membership."}
        </CardDescription>
      </CardHeader>
      <CardContent>
        <QueryState query={members} rows={2}>
          {(data) => (
            <DataTable label="Members" columns={["Member", { header: "Role", className: "w-44" }, "Joined", ACTIONS_COLUMN]}>
              {data.map((member) => (
                <MemberRow
                  key={member.membershipId}
                  orgId={orgId}
                  orgName={orgName}
                  myRole={role}
                  member={member}
                  owners={data.filter((row) => row.role === "owner").length}
                />
              ))}
            </DataTable>
          )}
        </QueryState>
      </CardContent>
    </Card>
  );
}

function MemberRow({ orgId, orgName, myRole, member, owners }: { orgId: string; orgName: string; myRole: RoleName; member: Member; owners: number }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState<"remove" | "leave" | null>(null);
  // The chosen role shows at once; cleared once the members list has been refetched.
  const [pendingRole, setPendingRole] = useState<RoleName | null>(null);
  const membersKey = trpc.organizations.members.queryKey({ orgId });

  const changeRole = useMutation(trpc.organizations.changeRole.mutationOptions({ onSettled: () => queryClient.invalidateQueries({ queryKey: membersKey }) }));
  const remove = useMutation(
    trpc.organizations.removeMember.mutationOptions({
      onSuccess: async () => {
        setConfirming(null);
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: membersKey }),
          queryClient.invalidateQueries({ queryKey: trpc.organizations.list.queryKey() }),
        ]);
      },
    }),
  );
  const leave = useMutation(
    trpc.organizations.leave.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.organizations.list.queryKey() });
        router.push("/projects");
        router.refresh();
      },
    }),
  );

  const isAdmin = atLeast(myRole, "admin");
  const canEditRole = isAdmin && !member.isYou && (member.role !== "owner" || myRole === "owner");
  const canRemove = canEditRole;
  const roleOptions = ROLES.filter((name) => name !== "owner" || myRole === "owner");
  const selectId = `role-${member.membershipId}`;
  const who = member.name ? `${member.name} (${member.email})` : member.email;
  const rowError = errorMessage(changeRole.error);

  return (
    <TableRow>
      <TableCell>
        <div className="flex items-center gap-2">
          <span className="font-medium">{member.name ?? member.email}</span>
          {member.isYou ? <Badge variant="secondary">You</Badge> : null}
        </div>
        {member.name ? <div className="text-xs text-muted-foreground">{member.email}</div> : null}
        {rowError ? (
          <p role="alert" className="mt-1 text-xs text-destructive">
            {rowError}
          </p>
        ) : null}
      </TableCell>
      <TableCell>
        {canEditRole ? (
          <>
            <Label htmlFor={selectId} className="sr-only">
              Change role for {member.email}
            </Label>
            <Select
              id={selectId}
              className="h-8"
              value={pendingRole ?? member.role}
              disabled={changeRole.isPending}
              onChange={(event) => {
                const role = ROLES.find((name) => name === event.target.value);
                if (!role || role === member.role) return;
                setPendingRole(role);
                changeRole.mutate({ orgId, membershipId: member.membershipId, role }, { onSettled: () => setPendingRole(null) });
              }}
            >
              {roleOptions.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </Select>
          </>
        ) : (
          <RoleBadge role={member.role} />
        )}
      </TableCell>
      <TableCell>
        <DateTime value={member.joinedAt} />
      </TableCell>
      <TableCell className="text-right">
        {member.isYou && member.role === "owner" && owners === 1 ? (
          // The server refuses it anyway; say why up front instead of offering a button that cannot work.
          <p className="ml-auto w-44 min-w-44 text-left text-xs text-muted-foreground" data-testid="only-owner">
            Only owner: make someone else an owner to leave.
          </p>
        ) : member.isYou ? (
          <Button size="sm" variant="outline" onClick={() => setConfirming("leave")}>
            Leave
          </Button>
        ) : canRemove ? (
          <Button size="sm" variant="outline" className="text-destructive" aria-label={`Remove ${member.email}`} onClick={() => setConfirming("remove")}>
            Remove
          </Button>
        ) : null}
        <ConfirmDialog
          open={confirming === "remove"}
          onOpenChange={(open) => {
            if (!open) {
              setConfirming(null);
              remove.reset();
            }
          }}
          title={`Remove ${who}?`}
          description={`They lose access to ${orgName} and its projects right away. You can invite them again later.`}
          confirmLabel="Remove member"
          pendingLabel="Removing…"
          pending={remove.isPending}
          error={errorMessage(remove.error)}
          onConfirm={() => remove.mutate({ orgId, membershipId: member.membershipId })}
        />
        <ConfirmDialog
          open={confirming === "leave"}
          onOpenChange={(open) => {
            if (!open) {
              setConfirming(null);
              leave.reset();
            }
          }}
          title={`Leave ${orgName}?`}
          description="You lose access to its projects. To come back, an admin has to invite you again."
          confirmLabel="Leave organisation"
          pendingLabel="Leaving…"
          pending={leave.isPending || leave.isSuccess}
          error={errorMessage(leave.error)}
          onConfirm={() => leave.mutate({ orgId })}
        />
      </TableCell>
    </TableRow>
  );
}
