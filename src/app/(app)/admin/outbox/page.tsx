import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Fragment } from "react";
import { EmptyState } from "~/components/empty-state";
import { PageHeader } from "~/components/page-header";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { api } from "~/trpc/server";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Outbox · Prism", robots: { index: false } };

const URL_PATTERN = /(https?:\/\/[^\s<>"'`]+)/g;

/** Mail text with its http(s) links made clickable; everything else stays text (React escapes it). */
function LinkifiedText({ text }: { text: string }) {
  const parts = text.split(URL_PATTERN);
  return (
    <>
      {parts.map((part, index) => {
        if (index % 2 === 0) return <Fragment key={index}>{part}</Fragment>;
        // Sentence punctuation right after a link belongs to the sentence.
        const trailing = /[.,;:!?)\]]+$/.exec(part)?.[0] ?? "";
        const url = trailing ? part.slice(0, -trailing.length) : part;
        return (
          <Fragment key={index}>
            <a href={url} className="break-all text-primary underline underline-offset-2" rel="noreferrer">
              {url}
            </a>
            {trailing}
          </Fragment>
        );
      })}
    </>
  );
}

/** The instance's outbox: mails kept while no SMTP server is set up, for its administrator only. */
export default async function OutboxPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const caller = await api();
  // Anyone but an instance admin gets the 404 page, as if there were no outbox.
  if (!(await caller.account.me()).instanceAdmin) notFound();
  const to = (await searchParams).to;
  const recipient = typeof to === "string" && to.trim() ? to.trim().toLowerCase().slice(0, 254) : null;
  const mails = await caller.admin.outbox(recipient ? { to: recipient } : undefined);

  return (
    <div className="space-y-6">
      <PageHeader
        title="Outbox"
        description="Mails this Prism sent while no mail server (SMTP_URL) is set up, newest first. Only instance administrators see this page; forward a link to the person it was meant for."
      />
      <form method="get" className="flex items-end gap-2">
        <div className="flex-1 space-y-2">
          <label htmlFor="outbox-to" className="text-sm font-medium">
            Recipient contains
          </label>
          <input
            id="outbox-to"
            name="to"
            defaultValue={recipient ?? ""}
            className="flex h-9 w-full rounded-md border border-input bg-background px-3 py-1 text-sm shadow-sm focus-visible:outline-none focus-visible:ring-1 focus-visible:ring-ring"
          />
        </div>
        <button type="submit" className="h-9 rounded-md bg-primary px-4 text-sm font-medium text-primary-foreground hover:bg-primary/90">
          Filter
        </button>
        {recipient ? (
          <Link href="/admin/outbox" className="h-9 rounded-md border bg-background px-4 py-2 text-sm">
            Clear
          </Link>
        ) : null}
      </form>
      {mails.length === 0 ? (
        <EmptyState title="No mails" description={recipient ? `No mails to addresses containing “${recipient}”.` : "Mails the product sends appear here."} />
      ) : (
        <ol className="space-y-4" aria-label="Kept mails">
          {mails.map((mail) => (
            <li key={mail.id}>
              <Card>
                <CardHeader className="pb-3">
                  <CardTitle className="text-base">{mail.subject}</CardTitle>
                  <CardDescription>
                    To <span className="font-medium text-foreground">{mail.to}</span> ·{" "}
                    <time dateTime={mail.createdAt.toISOString()}>{mail.createdAt.toISOString().replace("T", " ").slice(0, 19)} UTC</time>
                  </CardDescription>
                </CardHeader>
                <CardContent className="space-y-2">
                  <pre className="whitespace-pre-wrap break-words rounded-md bg-muted p-3 font-sans text-sm">
                    <LinkifiedText text={mail.text} />
                  </pre>
                  {mail.linksHidden ? (
                    <p className="text-xs text-muted-foreground">
                      Its links cannot be shown: it was kept before links were sealed, or under another NEXTAUTH_SECRET.
                    </p>
                  ) : null}
                </CardContent>
              </Card>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
