import { TRPCError } from "@trpc/server";
import Link from "next/link";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { getSession } from "~/server/auth/options";
import { api } from "~/trpc/server";
import { MainNav } from "./main-nav";
import { MobileMenu } from "./mobile-menu";
import { NotificationsBell } from "./notifications-bell";
import { OrgSwitcher } from "./org-switcher";
import { SignOutButton } from "./sign-out-button";
import { VerifyEmailBanner } from "./verify-email-banner";

export const dynamic = "force-dynamic";

async function loadAccount() {
  const caller = await api();
  try {
    const [me, organizations] = await Promise.all([caller.account.me(), caller.organizations.list()]);
    return { me, organizations };
  } catch (error) {
    // A session whose user no longer exists (e.g. a reset database).
    if (error instanceof TRPCError && error.code === "UNAUTHORIZED") return null;
    throw error;
  }
}

export default async function AppLayout({ children }: { children: ReactNode }) {
  const session = await getSession();
  if (!session) redirect("/login");
  const account = await loadAccount();

  return (
    <div className="min-h-screen bg-muted/20">
      <header className="sticky top-0 z-30 border-b bg-background/95 backdrop-blur">
        <div className="mx-auto flex h-14 max-w-6xl items-center justify-between gap-2 px-4 sm:gap-4 sm:px-6">
          <div className="flex min-w-0 items-center gap-4">
            <Link href="/projects" className="font-semibold tracking-tight">
              Prism
            </Link>
            {/* On phones the switcher lives in the menu sheet, so the bell cannot crowd it. */}
            {account ? (
              <div className="hidden md:block">
                <OrgSwitcher initialOrganizations={account.organizations} />
              </div>
            ) : null}
            <MainNav />
          </div>
          <div className="flex shrink-0 items-center gap-1 text-sm text-muted-foreground sm:gap-3">
            {account ? <NotificationsBell /> : null}
            {account?.me.instanceAdmin ? (
              <Link href="/admin/outbox" className="rounded-md px-2 py-1 hover:bg-accent hover:text-foreground">
                Outbox
              </Link>
            ) : null}
            <Link href="/account" className="hidden min-w-0 max-w-64 truncate rounded-md px-2 py-1 hover:bg-accent hover:text-foreground md:inline">
              <span className="sr-only">Account </span>
              <span data-testid="current-user">{session.user.email}</span>
            </Link>
            <SignOutButton />
            <MobileMenu email={session.user.email ?? ""}>
              {account ? <OrgSwitcher initialOrganizations={account.organizations} id="org-switcher-mobile" /> : null}
            </MobileMenu>
          </div>
        </div>
      </header>
      {/* Without mail nothing can be verified, so nothing is asked for (see account.signUp). */}
      {account && !account.me.verified && account.me.mailDelivered ? <VerifyEmailBanner email={account.me.email} /> : null}
      <main className="mx-auto max-w-6xl p-6">
        {account ? (
          children
        ) : (
          <div role="alert" className="mx-auto max-w-md space-y-2 rounded-lg border bg-background p-6 text-center">
            <h1 className="text-lg font-semibold">Your session is no longer valid</h1>
            <p className="text-sm text-muted-foreground">Sign out and sign in again to continue.</p>
          </div>
        )}
      </main>
    </div>
  );
}
