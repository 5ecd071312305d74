import { redirect } from "next/navigation";
import { getSession } from "~/server/auth/options";

export const dynamic = "force-dynamic";

export default async function Home() {
  const session = await getSession();
  redirect(session ? "/projects" : "/login");
}
