// The item's route as a vertical timeline: one step per signed record, with who signed it, what
// it says, the browser's own verdict on it and, on request, how that verdict was reached.

import { currentLanguage, formatTime, t } from "../core/i18n.js";
import { el, field } from "./element.js";

const STATUS_MARK = { ok: "✓", bad: "✗", warn: "!", pending: "…" };
const STATUS_TEXT = { ok: "step.ok", bad: "step.bad", warn: "step.warn", pending: "step.pending" };
const KEY_REASONS = new Set(["unknown_key", "revoked_key"]);

/** The steps to show: checked results when there are, else the server's events, pending. */
export function stepsOf(timeline, report) {
  if (report?.events?.length) return report.events;
  return (timeline.events ?? []).map((server) => ({
    index: server.index,
    server,
    status: "pending",
    signatures: [],
  }));
}

function payloadOf(step) {
  return step.payload ?? step.server.payload ?? {};
}

function typeLabel(type) {
  const key = `type.${type}`;
  const text = t(key);
  return text === key ? t("type.other") : text;
}

function word(prefix, value) {
  const key = `${prefix}.${value}`;
  const text = t(key);
  return text === key ? String(value) : text;
}

function money(price) {
  if (!price?.amount) return null;
  try {
    return new Intl.NumberFormat(currentLanguage(), { style: "currency", currency: price.currency }).format(
      Number(price.amount),
    );
  } catch {
    return `${price.amount} ${price.currency}`;
  }
}

function grams(value) {
  return Number.isInteger(value) ? t("step.grams", { n: value }) : null;
}

function place(location) {
  if (!location?.name) return null;
  const withCity = location.city && !location.name.includes(location.city);
  return withCity ? `${location.name} · ${location.city}` : location.name;
}

/** What the item's records say about where it is now. */
export function itemStatus(timeline, report) {
  const payloads = stepsOf(timeline, report).map(payloadOf);
  const has = (type) => payloads.some((p) => p.type === type);
  const complaints = payloads.filter((p) => p.type === "complaint").length;
  const status = (kind, params) => ({ kind, text: t(`status.${kind}`, params), complaints });
  if (has("receipt") && has("review")) return status("reviewed");
  if (has("receipt")) return status("received");
  if (has("delivery")) return status("delivered");
  if (has("dispatch")) {
    const moves = payloads.filter((p) => p.type === "handoff" || p.type === "dispatch");
    const last = moves[moves.length - 1];
    const where = last?.type === "handoff" ? place(last.location) : last?.origin_city;
    return status("in_transit", { place: where ?? "" });
  }
  if (has("sale")) return status("sold");
  return status("listed");
}

function facts(payload, directory) {
  const p = payload;
  switch (p.type) {
    case "listing":
      return [
        field(t("step.platform"), p.platform ? directory.name(p.platform) : null),
        field(t("step.price"), money(p.price)),
        field(t("step.commitment"), p.commitment),
      ];
    case "sale":
      return [
        field(t("step.platform"), p.platform ? directory.name(p.platform) : null),
        field(t("step.price"), money(p.price)),
        field(t("step.order"), p.order_ref ? el("span", { class: "mono" }, p.order_ref) : null),
      ];
    case "dispatch":
      return [
        field(t("step.courier"), p.courier ? directory.name(p.courier) : null),
        field(
          t("step.route"),
          p.origin_city ? t("step.routeValue", { from: p.origin_city, to: p.destination_city }) : null,
        ),
        field(t("step.declared"), grams(p.declared_weight_g)),
        field(t("step.promised"), p.promised_by ? formatTime(p.promised_by) : null),
      ];
    case "handoff":
      return [
        field(t("step.from"), p.from ? directory.name(p.from) : null),
        field(t("step.condition"), p.condition ? conditionBadge(p.condition) : null),
        field(t("step.weight"), grams(p.weight_g)),
      ];
    case "delivery":
      return [
        field(t("step.method"), p.method ? word("method", p.method) : null),
        field(
          t("step.consent"),
          typeof p.consent === "boolean"
            ? el("span", { class: `badge ${p.consent ? "ok" : "warn"}` }, t(p.consent ? "consent.yes" : "consent.no"))
            : null,
        ),
        field(t("step.condition"), p.condition ? conditionBadge(p.condition) : null),
        field(t("step.weight"), grams(p.weight_g)),
      ];
    case "receipt":
      return [
        field(t("step.condition"), p.condition ? conditionBadge(p.condition) : null),
        field(t("step.note"), p.note),
      ];
    case "review":
      return [
        field(t("step.score"), Number.isInteger(p.score) ? stars(p.score) : null),
        p.text ? el("blockquote", { class: "quote" }, p.text) : null,
      ];
    case "complaint":
      return [
        field(t("step.category"), p.category ? word("category", p.category) : null),
        p.description ? el("blockquote", { class: "quote" }, p.description) : null,
      ];
    default:
      return [];
  }
}

function conditionBadge(condition) {
  const tone = condition === "intact" ? "ok" : "bad";
  return el("span", { class: `badge ${tone}` }, word("condition", condition));
}

function stars(score) {
  const label = t("step.stars", { n: score });
  const shown = "★".repeat(score) + "☆".repeat(Math.max(0, 5 - score));
  return el("span", { class: "stars", "aria-label": label }, shown);
}

/** A ✓ or ✗ with its words, coloured. */
function mark(ok, text) {
  return el("span", { class: ok ? "ok-text" : "bad-text" }, text);
}

function signerLabel(signer, directory) {
  const role = signer?.role ?? "unknown";
  if (role === "buyer" || role === "unknown") {
    const keyid = el("span", { class: "mono keyid" }, signer?.keyid ?? "");
    return el("span", { class: "signer" }, t(`role.${role}`), " ", keyid);
  }
  const company = signer.company_id ? directory.name(signer.company_id) : null;
  return el(
    "span",
    { class: "signer" },
    el("span", { class: "role" }, word("role", role)),
    " ",
    el("strong", {}, signer.name ?? signer.party_id ?? ""),
    company ? el("span", { class: "muted" }, ` · ${company}`) : null,
  );
}

function signersOf(step) {
  if (step.signatures?.length) {
    return step.signatures.map((s) => ({ ...s.signer, ok: s.ok, reason: s.reason }));
  }
  return step.server.signers ?? [];
}

function chainText(step) {
  if (!step.chain || step.chain === "unknown") return null;
  return t(`how.chain.${step.chain}`, { index: step.prevIndex ?? "" });
}

function serverText(step) {
  if (step.serverDisagrees === undefined) return null;
  if (!step.serverDisagrees) return t("how.server.agrees");
  const s = step.server;
  const flag = (ok) => t(ok ? "how.server.valid" : "how.server.invalid");
  const flags = t("how.server.flags", {
    hash: flag(s.hash_valid),
    signature: flag(s.signature_valid),
    chain: flag(s.chain_valid),
  });
  return el("span", { class: "warn-text" }, t("how.server.differs", { flags }));
}

function howChecked(step, report, open) {
  if (step.status === "pending") return null;
  const mono = (text) => (text ? el("code", {}, text) : null);
  const checkpoint = report.checkpoint;
  const keyName = report.logKey ? `${report.logKey.name}+${report.logKey.key_id}` : checkpoint.keyName;
  const keys = signersOf(step).map((s) =>
    el(
      "li",
      {},
      el("code", {}, s.keyid),
      " ",
      word("role", s.role ?? "unknown"),
      " ",
      mark(s.ok, s.ok ? "✓" : `✗ ${t(`reason.${KEY_REASONS.has(s.reason) ? s.reason : "signature"}`)}`),
    ),
  );
  const details = el(
    "details",
    { class: "how", "data-how": step.index, open: open || null },
    el("summary", {}, t("how.summary")),
    el(
      "dl",
      { class: "facts how-facts" },
      field(t("how.index"), `#${step.index}`),
      field(t("how.bytes"), mark(step.bytesOk, t(step.bytesOk ? "how.bytes.ok" : "how.bytes.bad"))),
      field(t("how.eventHash"), mono(step.hash)),
      field(t("how.leafHash"), mono(step.leafHash)),
      field(
        t("how.proof"),
        el(
          "span",
          {},
          t("how.proofValue", { n: step.proofLength ?? 0, size: step.treeSize ?? checkpoint.size }),
          " ",
          mark(step.included, t(step.included ? "how.included.ok" : "how.included.bad")),
        ),
      ),
      field(
        t("how.checkpoint"),
        checkpoint.ok ? t("how.checkpointValue", { size: checkpoint.size, key: keyName }) : null,
      ),
      field(t("how.keys"), keys.length ? el("ul", { class: "plain" }, keys) : null),
      field(t("how.chain"), chainText(step)),
      field(t("how.server"), serverText(step)),
    ),
  );
  return details;
}

function step(stepResult, ordinal, report, directory, parcels, openSet) {
  const payload = payloadOf(stepResult);
  const type = payload.type ?? stepResult.server.type;
  const status = stepResult.status ?? "pending";
  const where = type === "handoff" || type === "delivery" ? place(payload.location) : null;
  const reasons = status === "bad" ? stepResult.reasons.map((r) => t(`reason.${r}`)) : [];
  const parcel = type === "dispatch" && parcels.length > 1 ? payload.subject : null;
  return el(
    "li",
    {
      class: `step status-${status}`,
      "data-type": type,
      "data-index": stepResult.index,
      "data-status": status,
    },
    el("span", { class: "step-marker", "aria-hidden": "true" }, STATUS_MARK[status]),
    el(
      "div",
      { class: "step-body" },
      el(
        "div",
        { class: "step-head" },
        el("h3", {}, el("span", { class: "step-no" }, `${ordinal}`), typeLabel(type)),
        el(
          "span",
          { class: `badge check ${status === "pending" ? "neutral" : status}`, "data-check": status },
          `${STATUS_MARK[status]} ${t(STATUS_TEXT[status])}`,
        ),
      ),
      where ? el("p", { class: "step-place" }, where) : null,
      el(
        "p",
        { class: "step-time muted small" },
        el("time", { datetime: payload.time ?? "" }, formatTime(payload.time)),
      ),
      parcel ? el("p", { class: "muted small" }, t("step.parcel", { code: parcel })) : null,
      el("dl", { class: "facts step-facts" }, facts(payload, directory)),
      el(
        "p",
        { class: "step-signers small" },
        el("span", { class: "muted" }, t("step.signedBy")),
        signersOf(stepResult).map((s, i) => [i ? t("list.sep") : "", signerLabel(s, directory)]),
      ),
      reasons.length ? el("ul", { class: "step-reasons" }, reasons.map((r) => el("li", {}, r))) : null,
      status === "warn" ? el("p", { class: "step-warn small" }, t("how.chain.after_failure")) : null,
      report ? howChecked(stepResult, report, openSet.has(stepResult.index)) : null,
    ),
  );
}

export function timelineCard(timeline, report, directory, openSet) {
  const steps = stepsOf(timeline, report);
  return el(
    "section",
    { class: "card route", "aria-labelledby": "route-heading" },
    el("h2", { id: "route-heading" }, t("route.heading")),
    el("p", { class: "muted small" }, t("route.subtitle")),
    steps.length
      ? el(
          "ol",
          { class: "timeline" },
          steps.map((s, i) => step(s, i + 1, report, directory, timeline.parcels ?? [], openSet)),
        )
      : el("p", { class: "muted" }, t("route.empty")),
  );
}
