/**
 * Realistic sample traffic for the demo project: a small shop over a few weeks. Pure and
 * deterministic (seeded), so the demo looks the same on every machine.
 */
import type { JsonObject } from "~/core/events";

export interface SampleEvent {
  event_name: string;
  event_id: string;
  profile_id: string;
  cts: number;
  props: JsonObject;
  ctx: { locale: string; device_type: string; os: string };
}

export interface SampleProfile {
  profile_id: string;
  set: JsonObject;
}

/** mulberry32: small, fast, good enough for sample data. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PAGES = ["/", "/pricing", "/products/lamp", "/products/chair", "/products/desk", "/blog/spring-sale", "/cart", "/checkout"];
const CAMPAIGNS = ["summer_sale", "newsletter", "black_friday", "organic", "retargeting"];
const PRODUCTS = [
  { sku: "lamp-01", name: "Arc lamp", price: 4900 },
  { sku: "chair-02", name: "Oak chair", price: 12900 },
  { sku: "desk-03", name: "Standing desk", price: 45900 },
  { sku: "mug-04", name: "Stoneware mug", price: 1500 },
];
const DEVICES = [
  { device_type: "desktop", os: "macOS" },
  { device_type: "desktop", os: "Windows" },
  { device_type: "mobile", os: "iOS" },
  { device_type: "mobile", os: "Android" },
];
const LOCALES = ["en-GB", "en-US", "fr-FR", "de-DE", "es-ES"];
const COUNTRIES = ["GB", "US", "FR", "DE", "ES"];

export function generateSampleData(opts: { now: number; days?: number; profiles?: number; seed?: number }): {
  profiles: SampleProfile[];
  events: SampleEvent[];
} {
  const random = rng(opts.seed ?? 2026);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const days = opts.days ?? 28;
  const start = opts.now - days * 86_400_000;
  const profiles: SampleProfile[] = [];
  const events: SampleEvent[] = [];
  let counter = 0;
  const id = () => `demo-${(counter++).toString(36).padStart(7, "0")}`;

  for (let p = 0; p < (opts.profiles ?? 250); p++) {
    const profileId = `user-${(p + 1).toString().padStart(4, "0")}`;
    const device = pick(DEVICES);
    const localeIndex = Math.floor(random() * LOCALES.length);
    const vipLevel = random() < 0.1 ? 3 + Math.floor(random() * 3) : Math.floor(random() * 3);
    const signupAt = start + Math.floor(random() * (days - 1) * 86_400_000);
    const campaign = pick(CAMPAIGNS);
    profiles.push({
      profile_id: profileId,
      set: { email: `${profileId}@example.com`, plan: random() < 0.2 ? "pro" : "free", vip_level: vipLevel, country: COUNTRIES[localeIndex]!, login_count: 0 },
    });
    const ctx = { locale: LOCALES[localeIndex]!, ...device };
    const push = (event_name: string, cts: number, props: JsonObject) => {
      if (cts <= opts.now) events.push({ event_name, event_id: id(), profile_id: profileId, cts, props, ctx });
    };

    push("page_view", signupAt - 120_000, { path: "/", campaign, referrer: campaign === "organic" ? "google" : "email" });
    push("sign_up", signupAt, { method: random() < 0.6 ? "email" : "google", campaign });
    // Return visits: engaged users come back more often.
    const sessions = 1 + Math.floor(random() * random() * 24);
    let time = signupAt;
    for (let s = 0; s < sessions; s++) {
      time += Math.floor((0.2 + random() * 3) * 86_400_000);
      if (time > opts.now) break;
      push("login", time, { method: "password" });
      const views = 1 + Math.floor(random() * 6);
      for (let v = 0; v < views; v++) push("page_view", time + v * 45_000, { path: pick(PAGES), campaign: s === 0 ? campaign : pick(CAMPAIGNS) });
      if (random() < 0.45) {
        const product = pick(PRODUCTS);
        const quantity = 1 + Math.floor(random() * 3);
        const cartAt = time + views * 45_000 + 30_000;
        push("add_to_cart", cartAt, { sku: product.sku, name: product.name, price: product.price, quantity });
        if (random() < 0.55) push("checkout_started", cartAt + 60_000, { items: quantity, amount: product.price * quantity });
        if (random() < 0.4)
          push("purchase", cartAt + 180_000, {
            sku: product.sku,
            amount: product.price * quantity,
            currency: "EUR",
            campaign: s === 0 ? campaign : pick(CAMPAIGNS),
          });
      }
    }
  }
  events.sort((a, b) => a.cts - b.cts);
  return { profiles, events };
}
