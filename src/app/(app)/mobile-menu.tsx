"use client";

import { Menu, X } from "lucide-react";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useCallback, useRef, useState, type ReactNode } from "react";
import { useDismiss } from "~/components/use-dismiss";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { cn } from "~/lib/utils";
import { isCurrentLink, MAIN_LINKS } from "./main-nav";

/**
 * The header's menu below the md breakpoint, where the main nav, the organisation switcher and the
 * account link do not fit in one row: a sheet under the header, closed by Escape, a tap outside or a navigation.
 */
export function MobileMenu({ email, children }: { email: string; children?: ReactNode }) {
  const [open, setOpen] = useState(false);
  const pathname = usePathname();
  const container = useRef<HTMLDivElement>(null);

  // A link followed inside the sheet lands on a new page: close it there.
  const [openedAt, setOpenedAt] = useState(pathname);
  if (open && openedAt !== pathname) {
    setOpen(false);
    setOpenedAt(pathname);
  }

  const close = useCallback(() => setOpen(false), []);
  useDismiss(container, open, close);

  return (
    <div ref={container} className="md:hidden">
      <Button
        variant="ghost"
        size="icon"
        aria-expanded={open}
        aria-controls="mobile-menu"
        aria-label={open ? "Close menu" : "Open menu"}
        onClick={() => {
          setOpenedAt(pathname);
          setOpen((value) => !value);
        }}
      >
        {open ? <X className="h-5 w-5" aria-hidden="true" /> : <Menu className="h-5 w-5" aria-hidden="true" />}
      </Button>
      {open ? (
        <div id="mobile-menu" className="fixed inset-x-0 top-14 z-40 border-b bg-background px-4 pb-4 pt-2 text-foreground shadow-lg">
          <nav aria-label="Main" className="flex flex-col">
            {MAIN_LINKS.map((link) => {
              const active = isCurrentLink(pathname, link.href);
              return (
                <Link
                  key={link.href}
                  href={link.href}
                  aria-current={active ? "page" : undefined}
                  className={cn("rounded-md px-3 py-2.5 text-base hover:bg-accent", active && "bg-accent font-medium")}
                >
                  {link.label}
                </Link>
              );
            })}
          </nav>
          {children ? <div className="mt-3 border-t pt-3">{children}</div> : null}
          <div className="mt-3 border-t pt-3">
            <Link
              href="/account"
              aria-current={pathname === "/account" ? "page" : undefined}
              className={cn("block rounded-md px-3 py-2.5 text-base hover:bg-accent", pathname === "/account" && "bg-accent font-medium")}
            >
              Account
              <span className="block truncate text-sm font-normal text-muted-foreground">{email}</span>
            </Link>
          </div>
        </div>
      ) : null}
    </div>
  );
}
