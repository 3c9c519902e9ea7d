// Where a parcel stands, from public data only: its EPCIS events name the items packed in it,
// and an item's public timeline carries every event of its parcels with the signers' names and
// the signed payloads. From those: the chain head (the next event's prev), who holds the parcel
// now, its last recorded condition and weight, and the route so far.

import { eventName, itemTimeline } from "../console/events.js";
import { badge, fact, fill, h, joinNames } from "../console/page.js";
import { api } from "../core/api.js";
import { parseScan } from "../core/code_parser.js";
import { formatTime, t } from "../core/i18n.js";

/** The item subjects packed in the parcel, from its EPCIS packing event. */
function packedItems(document) {
  const items = [];
  for (const event of document?.epcisBody?.eventList ?? []) {
    if (event["tsv:eventType"] !== "dispatch" || event.type !== "AggregationEvent") continue;
    const uris = [...(event.childEPCs ?? []), ...(event.childQuantityList ?? []).map((q) => q.epcClass)];
    for (const uri of uris) {
      try {
        items.push(parseScan(uri, { expect: "item" }).subject);
      } catch {
        // not an item the service keys; skip it
      }
    }
  }
  return items;
}

function who(signer) {
  if (!signer) return null;
  return { party_id: signer.party_id ?? null, name: signer.name ?? signer.party_id ?? signer.keyid, role: signer.role };
}

/** How a signer is named: a buyer's device key is pseudonymous by design, named by its role. */
function label(signer) {
  return signer?.role === "buyer" ? t("kind.buyer") : signer?.name;
}

/** Replay the parcel's own events into its state (the same order the log holds them in). */
export function replay(subject, events) {
  const state = { subject, status: null, holder: null, head: null, condition: null, weight: null, route: [] };
  for (const event of events) {
    const p = event.payload ?? {};
    state.head = event.hash;
    const signers = event.signers ?? [];
    const step = { type: event.type, time: p.time, by: signers.map(who), where: null, condition: p.condition, weight: p.weight_g };
    if (event.type === "dispatch") {
      state.status = "in_transit";
      state.holder = who(signers.find((s) => s.role === "staff"));
      state.condition = "intact";
      state.weight = p.declared_weight_g;
      state.courier = p.courier;
      state.destination = p.destination_city;
      step.where = p.origin_city;
      step.weight = p.declared_weight_g;
    } else if (event.type === "handoff") {
      state.holder = who(signers.find((s) => s.party_id !== p.from));
      state.condition = p.condition;
      state.weight = p.weight_g;
      step.where = p.location ? `${p.location.name} · ${p.location.city}` : null;
    } else if (event.type === "delivery") {
      state.status = "delivered";
      state.deliveredBy = state.holder;
      state.holder = null;
      state.condition = p.condition;
      state.weight = p.weight_g;
      step.where = p.location?.city ?? null;
      step.method = p.method;
    } else if (event.type === "receipt") {
      state.status = "received";
    }
    state.route.push(step);
  }
  return state;
}

/** The parcel's public state; raises ApiError (unknown_subject when nothing is recorded). */
export async function loadParcel(subject) {
  const document = await api.get(`/epcis/parcels/${subject}`);
  const items = packedItems(document);
  const state = { subject, items, status: "in_transit", holder: null, head: null, route: [] };
  if (!items.length) return { ...state, incomplete: true };
  const timeline = await itemTimeline(items[0]);
  const own = (timeline?.events ?? []).filter((e) => e.subject === subject);
  return { ...replay(subject, own), items, verified: timeline?.verified ?? false };
}

const STATUS_BADGE = { in_transit: "warn", delivered: "ok", received: "ok" };

/** Render the state into `root` for the signed-in staff member `me` (an identity). */
export function renderParcel(root, state, me) {
  if (!state) return fill(root);
  const mine = state.holder?.party_id && state.holder.party_id === me?.party_id;
  const holder = state.holder
    ? h("span", { class: "holder" }, state.holder.name, mine ? badge("ok", t("courier.parcel.you")) : null)
    : "—";
  fill(
    root,
    h("div", { class: "item-head" },
      h("div", { class: "item-name mono" }, state.subject),
      state.status ? badge(STATUS_BADGE[state.status] ?? "neutral", t(`courier.parcel.status.${state.status}`)) : null),
    h("dl", { class: "facts" },
      fact("courier.parcel.holder", holder),
      state.condition ? fact("courier.condition", t(`courier.condition.${state.condition}`)) : null,
      state.weight !== null && state.weight !== undefined ? fact("courier.parcel.weight", `${state.weight} g`) : null,
      state.destination ? fact("courier.parcel.destination", state.destination) : null,
      fact("courier.parcel.items", String(state.items?.length ?? 0)),
    ),
    state.incomplete ? h("p", { class: "muted small" }, t("courier.parcel.incomplete")) : null,
    state.route.length
      ? h("ol", { class: "route", "aria-label": t("courier.parcel.route") }, state.route.map((step) =>
          h("li", {},
            h("div", {}, h("strong", {}, eventName(step.type)), " · ", joinNames(step.by.map(label))),
            h("div", { class: "when" }, [formatTime(step.time), step.where, step.weight !== undefined && step.weight !== null ? `${step.weight} g` : null,
              step.condition === "damaged" ? t("courier.condition.damaged") : null].filter(Boolean).join(" · ")))))
      : null,
  );
}
