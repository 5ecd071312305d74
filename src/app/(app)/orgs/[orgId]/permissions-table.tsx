import { Check, Minus } from "lucide-react";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "~/components/ui/table";
import { atLeast, PERMISSIONS, ROLES, type RoleName } from "~/core/roles";
import { cn } from "~/lib/utils";

/** What each role may do, straight from the table the server enforces. */
export function PermissionsTable({ role }: { role: RoleName }) {
  return (
    <Card>
      <CardHeader>
        <CardTitle>
          <h2>Roles and permissions</h2>
        </CardTitle>
        <CardDescription>Each role can do everything the roles before it can. Your column is highlighted.</CardDescription>
      </CardHeader>
      <CardContent>
        <Table aria-label="Role permissions">
          <TableHeader>
            <TableRow>
              <TableHead>Action</TableHead>
              {ROLES.map((name) => (
                <TableHead key={name} className={cn("text-center", name === role && "bg-primary/5 text-primary")}>
                  {name}
                </TableHead>
              ))}
            </TableRow>
          </TableHeader>
          <TableBody>
            {PERMISSIONS.map((permission) => (
              <TableRow key={permission.action}>
                <TableCell>{permission.action}</TableCell>
                {ROLES.map((name) => (
                  <TableCell key={name} className={cn("text-center", name === role && "bg-primary/5")}>
                    {atLeast(name, permission.minimum) ? (
                      <>
                        <Check className="mx-auto h-4 w-4 text-emerald-600" aria-hidden="true" />
                        <span className="sr-only">allowed</span>
                      </>
                    ) : (
                      <>
                        <Minus className="mx-auto h-4 w-4 text-muted-foreground/50" aria-hidden="true" />
                        <span className="sr-only">not allowed</span>
                      </>
                    )}
                  </TableCell>
                ))}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </CardContent>
    </Card>
  );
}
