import { Badge } from "~/components/ui/badge";
import type { RoleName } from "~/core/roles";

const VARIANT = { owner: "default", admin: "default", member: "secondary", viewer: "outline" } as const;

export function RoleBadge({ role }: { role: RoleName }) {
  return <Badge variant={VARIANT[role]}>{role}</Badge>;
}
