/** The worker benchmarks' workload: one shop project with 20 rules, as a shop would write them. */
import type { InternalEvent, JsonObject } from "../../src/core/events";

export const BENCH_PROJECT = "proj_benchworker";
const PROFILES = 20_000;

/** 20 rules: comparisons on event and profile props, and a few windows. */
export function benchRules(): string[] {
  const list: string[] = [];
  for (let i = 0; i < 14; i++) list.push(`event.name == 'purchase' && event.props.amount > ${5000 + i * 1000}`);
  list.push("event.name == 'page_view' && event.props.campaign == 'summer_sale' && profile.props.vip_level >= 3");
  list.push("event.name == 'login' && profile.props.login_count == 0");
  list.push("event.name == 'purchase' && event.props.amount > 10000 && window.count('purchase', '5m') >= 1");
  list.push("event.name == 'purchase' && window.count('purchase', '1h') >= 5");
  list.push("event.name == 'purchase' && window.sum('purchase', 'amount', '24h') > 100000");
  list.push("event.name == 'add_to_cart' && window.distinct('add_to_cart', 'sku', '1h') >= 3");
  return list;
}

/** Page views, carts, purchases and logins of 20,000 profiles, in that mix (12:4:2:2). */
export function benchEvents(): (now: number) => InternalEvent {
  let sequence = 0;
  return (now) => {
    const i = sequence++;
    const roll = i % 20;
    const name = roll < 12 ? "page_view" : roll < 16 ? "add_to_cart" : roll < 18 ? "purchase" : "login";
    const props: JsonObject =
      name === "purchase"
        ? { amount: (i * 37) % 20000 }
        : name === "add_to_cart"
          ? { sku: `sku-${i % 50}` }
          : { path: "/products/lamp", campaign: i % 3 === 0 ? "summer_sale" : "none" };
    return {
      type: "event",
      event_id: `bench-${i}`,
      project_id: BENCH_PROJECT,
      event_name: name,
      cts: now,
      sts: now,
      profile_id: `user-${(i * 7919) % PROFILES}`,
      props,
      ctx: { user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36" },
    };
  };
}
