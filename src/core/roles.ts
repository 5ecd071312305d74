/** Organisation roles, weakest first. Access is compared by level, never by mere membership. */
export const ROLES = ["viewer", "member", "admin", "owner"] as const;
export type RoleName = (typeof ROLES)[number];

export const ROLE_LEVEL: Record<RoleName, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export function atLeast(role: RoleName, minimum: RoleName): boolean {
  return ROLE_LEVEL[role] >= ROLE_LEVEL[minimum];
}

/** What each role may do; shown in the UI and enforced by the procedure builders. */
export const PERMISSIONS = [
  { action: "View projects, reports, events and profiles", minimum: "viewer" },
  { action: "Create and edit triggers and saved reports", minimum: "member" },
  { action: "Manage projects, API keys, tracking plan and settings", minimum: "admin" },
  { action: "Invite, remove and change the role of members", minimum: "admin" },
  { action: "Rename or delete the organisation, promote owners", minimum: "owner" },
] as const satisfies ReadonlyArray<{ action: string; minimum: RoleName }>;
