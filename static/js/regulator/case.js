// A complaint case (drill-down, second step; regulators and the parties it names): the
// complaint, every record on its chain — the service's attribution with its rule, rules version
// and the events it rests on, objections, decisions, resolution — the deadlines, the
// personal-data access log of the parcel, and the decision form while something awaits one.

import { api } from "../core/api.js";
import { currentLanguage, formatTime, t } from "../core/i18n.js";
import { exportButton } from "./csv.js";
import { decisionForm, receiptView } from "./decide.js";
import { emptyState, facts, fill, h, problemBox, routeLink, shortHash } from "./dom.js";
import { partyLabel, prefetch } from "./parties.js";
import { credential } from "./session.js";

export function statusBadge(item) {
  const cls = item.overdue ? "bad" : item.status === "pending_objection" ? "warn"
    : item.status === "attributed" ? "neutral" : "ok";
  return h("span", { class: `badge ${cls}`, dataset: { status: item.status } }, t(`case.status.${item.status}`));
}

export function sharesList(shares) {
  if (!shares?.length) return h("span", { class: "muted" }, t("case.no_shares"));
  return h("ul", { class: "shares-list" }, shares.map((share) => h("li", {},
    partyLabel(share.party), " ", h("span", { class: "small muted" }, `${t(`role.${share.party_kind}`)} · ${share.role} · ${t("case.share")} ${share.share}`))));
}

function evidenceLinks(evidence) {
  if (!evidence?.length) return h("span", { class: "muted" }, t("case.no_evidence"));
  return h("ul", { class: "evidence-list" }, evidence.map((e) => h("li", {},
    routeLink(`event/${e.hash}`, h("code", { class: "hash", title: e.hash }, e.hash)),
    e.index !== null && e.index !== undefined ? h("span", { class: "small muted" }, ` · ${t("event.index")} #${e.index}`) : null)));
}

function recordBody(record) {
  const lang = currentLanguage() === "en" ? "en" : "zh";
  switch (record.kind) {
    case "attribution":
      return facts([
        ["case.outcome", t(`case.outcome.${record.outcome}`)],
        ["case.rule", h("code", { dataset: { field: "rule" } }, record.rule)],
        ["case.rules_version", h("span", { dataset: { field: "rules_version" } }, record.rules_version)],
        ["case.explanation", record.explanation?.[lang]],
        ["case.attributed_to", sharesList(record.shares)],
        ["case.standing", record.standing ? t("case.standing.yes") : t("case.standing.no")],
        ["case.verified_purchase", record.verified_purchase ? t("yes") : t("no")],
        ["case.evidence", evidenceLinks(record.evidence)],
      ]);
    case "objection":
      return facts([
        ["case.reason", record.reason],
        ["case.evidence", evidenceLinks(record.evidence)],
        ["case.documents", record.documents?.length ? record.documents.map((d) => h("code", { class: "hash" }, d)) : null],
      ]);
    case "decision":
      return facts([
        ["case.decision_outcome", h("strong", { dataset: { field: "decision_outcome" } }, t(`outcome.${record.outcome}`))],
        ["case.reasons", record.reasons],
        ["case.finding", record.finding ? t(`finding.${record.finding}`) : null],
        ["case.attributed_to", sharesList(record.shares)],
      ]);
    default:
      return facts([["case.note", record.note]]);
  }
}

function recordItem(record) {
  return h("li", { class: `record record-${record.kind}`, dataset: { kind: record.kind, hash: record.hash } },
    h("div", { class: "record-head" },
      h("span", { class: "badge neutral" }, t(`record.${record.kind}`)),
      h("span", {}, formatTime(record.at)),
      h("span", { class: "small" }, t("case.by"), " ", record.by ? partyLabel(record.by) : t(`party.kind.${record.by_kind}`)),
      routeLink(`event/${record.hash}`, t("case.open_event"), " ", shortHash(record.hash, 8))),
    recordBody(record));
}

function deadlines(item) {
  const d = item.deadlines;
  return facts([
    ["case.objection_until", d.objection_until ? `${formatTime(d.objection_until)} · ${t(d.objection_open ? "case.open" : "case.closed")}` : null],
    ["case.review_due", d.review_due ? h("span", { class: d.overdue ? "overdue-text" : "", dataset: { field: "review_due" } },
      formatTime(d.review_due), d.overdue ? ` · ${t("case.overdue")}` : "") : null],
    ["case.resolved_at", item.resolved_at ? formatTime(item.resolved_at) : null],
  ]);
}

function dataAccess(item) {
  if (item.data_access === null || item.data_access === undefined) return null;
  const table = h("table", { class: "stack", id: "access-table" },
    h("thead", {}, h("tr", {}, ["access.parcel", "access.party", "access.read_at", "access.purpose"].map((k) => h("th", { scope: "col" }, t(k))))),
    h("tbody", {}, item.data_access.map((read) => h("tr", {},
      h("td", { "data-label": t("access.parcel") }, h("code", {}, read.parcel)),
      h("td", { "data-label": t("access.party"), dataset: { csv: read.party_id } }, partyLabel(read.party_id)),
      h("td", { "data-label": t("access.read_at"), dataset: { csv: read.read_at } }, formatTime(read.read_at)),
      h("td", { "data-label": t("access.purpose") }, read.purpose)))));
  return h("section", { class: "card" },
    h("div", { class: "card-head" }, h("h2", {}, t("access.title")),
      item.data_access.length ? exportButton(() => table, `data-access-${item.complaint.slice(0, 12)}.csv`) : null),
    h("p", { class: "small muted" }, t("access.help")),
    item.data_access.length ? h("div", { class: "table-wrap" }, table) : emptyState("access.none"));
}

/** What awaits a decision: the pending objection, or the record of an undecided case. */
function pendingTarget(item) {
  const head = item.records[item.records.length - 1]?.hash ?? null;
  if (item.objection) return { subject: `case/${item.complaint}`, prev: head, on: item.objection.hash };
  if (item.outcome === "undecided" && item.status !== "untraced") {
    const last = [...item.records].reverse().find((r) => r.kind === "attribution" || r.kind === "decision");
    return last ? { subject: `case/${item.complaint}`, prev: head, on: last.hash } : null;
  }
  return null;
}

/**
 * Render the case of `complaint` into `root`. `lastReceipt` (after a decision) is shown on top.
 * Needs a credential: without one the service's refusal is shown in words.
 */
export async function renderCase(root, complaint, { lastReceipt, onSignIn } = {}) {
  fill(root, h("p", { class: "muted" }, t("loading")));
  let item;
  try {
    item = await api.get(`/cases/${encodeURIComponent(complaint)}`, { credential: credential() });
  } catch (error) {
    fill(root, h("section", { class: "card" }, h("h2", {}, t("case.title")), problemBox(error),
      credential() ? null : h("p", {}, t("signin.needed"), " ",
        h("button", { type: "button", class: "secondary", onclick: onSignIn }, t("signin.import")))));
    return { title: shortHash(complaint, 8).textContent };
  }
  const parties = [
    ...item.records.map((r) => r.by), ...item.shares.map((s) => s.party),
    ...item.records.flatMap((r) => (r.shares ?? []).map((s) => s.party)),
    ...(item.data_access ?? []).map((read) => read.party_id),
  ].filter(Boolean);
  await prefetch(parties);
  const target = pendingTarget(item);
  fill(root,
    lastReceipt ? h("section", { class: "card" }, receiptView(lastReceipt.receipt, lastReceipt.verified)) : null,
    h("section", { class: "card case-card", dataset: { complaint } },
      h("div", { class: "card-head" }, h("h2", {}, t("case.title_of", { category: t(`category.${item.category}`) })), statusBadge(item)),
      facts([
        ["case.complaint", routeLink(`event/${item.complaint}`, h("code", { class: "hash" }, item.complaint))],
        ["case.subject", h("code", {}, item.subject)],
        ["case.complained_at", formatTime(item.complained_at)],
        ["case.complainant", `${t(`party.kind.${item.complainant.kind}`)}${item.complainant.id ? ` · ${item.complainant.id}` : ""}`],
        ["case.description", item.description],
        ["case.current_outcome", item.outcome ? h("strong", { dataset: { field: "outcome" } }, t(`case.outcome.${item.outcome}`)) : t("case.status.untraced")],
        ["case.attributed_to", sharesList(item.shares)],
      ]),
      h("h3", {}, t("case.deadlines")), deadlines(item)),
    h("section", { class: "card" }, h("h2", {}, t("case.records")),
      h("ol", { class: "records" }, item.records.map(recordItem))),
    target && credential()
      ? h("section", { class: "card decision-card" }, decisionForm({
        outcomes: ["upheld", "reversed", "undecided"],
        target,
        reassign: true,
        titleKey: item.objection ? "decision.title.objection" : "decision.title.undecided",
        onDone: (done) => renderCase(root, complaint, { onSignIn, lastReceipt: done }),
      }))
      : null,
    dataAccess(item),
  );
  return { title: t(`category.${item.category}`), parties };
}
