import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Fragment } from "react";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { db } from "~/server/db";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Dev outbox · Prism", robots: { index: false } };

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

/** Mails the app "sent" without SMTP, newest first. Development only. */
export default async function DevOutboxPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  if (process.env.NODE_ENV === "production") notFound();
  const to = (await searchParams).to;
  const recipient = typeof to === "string" && to.trim() ? to.trim().toLowerCase() : null;
  const mails = await db().outboxMail.findMany({
    where: recipient ? { to: { contains: recipient } } : undefined,
    orderBy: { createdAt: "desc" },
    take: 100,
  });

  return (
    <main className="mx-auto max-w-4xl space-y-6 p-6">
      <div className="space-y-1">
        <h1 className="text-2xl font-semibold tracking-tight">Dev outbox</h1>
        <p className="text-sm text-muted-foreground">Mails sent while no SMTP_URL is configured, newest first. This page does not exist in production.</p>
      </div>
      <form method="get" className="flex items-end gap-2">
        <div className="flex-1 space-y-2">
          <label htmlFor="outbox-to" className="text-sm font-medium">
            Recipient contains
          </label>
          <input
            id="outbox-to"
            name="to"
            defaultValue={recipient ?? ""}
            className="flex h-9 w-full rounded-md border border-input bg-transparent px-3 py-1 text-sm shadow-sm focus-visible:outline-none focus-visible:ring-1 focus-visible:ring-ring"
          />
        </div>
        <button type="submit" className="h-9 rounded-md bg-primary px-4 text-sm font-medium text-primary-foreground hover:bg-primary/90">
          Filter
        </button>
        {recipient ? (
          <Link href="/dev/outbox" className="h-9 rounded-md border px-4 py-2 text-sm">
            Clear
          </Link>
        ) : null}
      </form>
      {mails.length === 0 ? (
        <p className="rounded-lg border border-dashed px-6 py-10 text-center text-sm text-muted-foreground">
          No mails {recipient ? `to addresses containing “${recipient}”` : "yet"}.
        </p>
      ) : (
        <ol className="space-y-4">
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
                <CardContent>
                  <pre className="whitespace-pre-wrap break-words rounded-md bg-muted p-3 font-sans text-sm">
                    <LinkifiedText text={mail.text} />
                  </pre>
                </CardContent>
              </Card>
            </li>
          ))}
        </ol>
      )}
    </main>
  );
}
