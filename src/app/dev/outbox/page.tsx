import { redirect } from "next/navigation";

/** The outbox moved into the app, for instance admins only (links are sealed at rest). */
export default function DevOutboxPage() {
  redirect("/admin/outbox");
}
