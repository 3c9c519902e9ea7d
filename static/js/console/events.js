// Composing, signing and submitting lifecycle events from a scan page, and reading what the
// public record says about an item (its chain head, its state) before acting on it.
// Payload shapes are trace_service/lifecycle/payloads.py's; every signature is made here.

import { ApiError, api } from "../core/api.js";
import { register, t } from "../core/i18n.js";
import { signEnvelope } from "../core/keys.js";

register({
  "zh-CN": {
    "event.listing": "上架",
    "event.sale": "销售",
    "event.dispatch": "配送（揽收）",
    "event.handoff": "交接",
    "event.delivery": "投递",
    "event.receipt": "签收",
    "event.review": "评价",
    "event.complaint": "投诉",
    "event.commitment": "信用承诺",
    "event.attribution": "责任认定",
  },
  en: {
    "event.listing": "Listing",
    "event.sale": "Sale",
    "event.dispatch": "Dispatch (pickup)",
    "event.handoff": "Handoff",
    "event.delivery": "Delivery",
    "event.receipt": "Receipt",
    "event.review": "Review",
    "event.complaint": "Complaint",
    "event.commitment": "Credit commitment",
    "event.attribution": "Attribution",
  },
});

export function eventName(type) {
  const key = `event.${type}`;
  const text = t(key);
  return text === key ? type : text;
}

/** An RFC 3339 UTC time at whole seconds, as parties sign (the server allows a few minutes' skew). */
export function rfc3339(date = new Date()) {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A payload with the members every event has; `fields` are the type's own (payloads.py). */
export function payload(type, subject, prev, fields, time = new Date()) {
  return { v: 1, type, subject, prev: prev ?? null, time: rfc3339(time), ...fields };
}

/** Sign with the given identities and POST /events; returns {receipt, envelope}. */
export async function signAndSubmit(body, identities, personalData = undefined) {
  const envelope = await signEnvelope(body, identities);
  return { receipt: await submitEnvelope(envelope, personalData), envelope };
}

export async function submitEnvelope(envelope, personalData = undefined) {
  const submission = personalData ? { ...envelope, personal_data: personalData } : envelope;
  return api.post("/events", submission);
}

/** The public record of an item (its Digital Link as JSON), or null when nothing is recorded. */
export async function itemTimeline(subject) {
  try {
    return await api.get(`/${subject}?format=application/json`);
  } catch (error) {
    if (error instanceof ApiError && error.code === "unknown_subject") return null;
    throw error;
  }
}

/** The hash of the last event of `subject` in a timeline (what the next event names as prev). */
export function headOf(timeline, subject) {
  const own = (timeline?.events ?? []).filter((e) => e.subject === subject);
  return own.length ? own[own.length - 1].hash : null;
}

/** Where an item stands, from its own events and its parcels': listed, sold, dispatched… */
export function itemStatus(timeline, subject) {
  let status = "new";
  for (const event of timeline?.events ?? []) {
    if (event.subject === subject) {
      if (event.type === "listing" && status === "new") status = "listed";
      if (event.type === "sale") status = "sold";
    } else if (["dispatch", "handoff"].includes(event.type)) {
      status = "in_transit";
    } else if (event.type === "delivery") {
      status = "delivered";
    } else if (event.type === "receipt") {
      status = "received";
    }
  }
  return status;
}

/** The last payload of a given type about `subject` (e.g. its listing, to prefill the sale). */
export function lastPayload(timeline, subject, type) {
  const found = (timeline?.events ?? []).filter((e) => e.subject === subject && e.type === type);
  return found.length ? found[found.length - 1].payload : null;
}
