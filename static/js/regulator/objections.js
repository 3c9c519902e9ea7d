// Objections awaiting review (异议复核) with their 10-day review deadline, overdue ones first and
// in red; and every complaint case with its status, for regulators. Each row opens the case,
// where the decision form is.

import { api } from "../core/api.js";
import { formatTime, t } from "../core/i18n.js";
import { statusBadge } from "./case.js";
import { exportButton } from "./csv.js";
import { emptyState, fill, h, problemBox, progress, routeLink, shortHash } from "./dom.js";
import { partyName, prefetch } from "./parties.js";
import { credential } from "./session.js";

const DAY = 24 * 3600 * 1000;

/** "due in n days" / "n days overdue", from the service's own overdue flag and due time. */
function dueWords(item, now) {
  const due = Date.parse(item.review_due);
  const days = Math.ceil(Math.abs(due - now) / DAY);
  return item.overdue ? t("objections.overdue_by", { days }) : t("objections.due_in", { days });
}

async function allCases(query) {
  const items = [];
  for (let page = 1; ; page += 1) {
    const got = await api.get(`/cases?${query}&page=${page}&page_size=500`, { credential: credential() });
    items.push(...got.items);
    if (items.length >= got.total || got.items.length === 0) return items;
  }
}

function attributed(shares) {
  return shares.map((s) => partyName(s.party)).join("、") || "—";
}

function objectionsTable(items) {
  const now = Date.now();
  const sorted = [...items].sort((a, b) => Number(b.overdue) - Number(a.overdue)
    || Date.parse(a.review_due) - Date.parse(b.review_due));
  return h("table", { class: "stack", id: "objections-table" },
    h("thead", {}, h("tr", {}, ["objections.case", "col.category", "objections.attributed", "objections.by",
      "objections.filed", "objections.due", "objections.state", "objections.action"].map((k, i) =>
      h("th", { scope: "col", dataset: i === 7 ? { csv: "skip" } : {} }, t(k))))),
    h("tbody", {}, sorted.map((item) => h("tr", { class: item.overdue ? "overdue" : "", dataset: { complaint: item.complaint, overdue: String(item.overdue) } },
      h("td", { "data-label": t("objections.case"), dataset: { csv: item.complaint } }, routeLink(`case/${item.complaint}`, shortHash(item.complaint, 10))),
      h("td", { "data-label": t("col.category") }, t(`category.${item.category}`)),
      h("td", { "data-label": t("objections.attributed") }, attributed(item.shares)),
      h("td", { "data-label": t("objections.by") }, partyName(item.objection.by)),
      h("td", { "data-label": t("objections.filed"), dataset: { csv: item.objection.filed_at } }, formatTime(item.objection.filed_at)),
      h("td", { "data-label": t("objections.due"), dataset: { csv: item.review_due } }, formatTime(item.review_due)),
      h("td", { "data-label": t("objections.state") }, h("span", { class: `badge ${item.overdue ? "bad" : "warn"}` }, dueWords(item, now))),
      h("td", { "data-label": t("objections.action") }, routeLink(`case/${item.complaint}`, t("objections.review")))))));
}

function casesTable(items) {
  return h("table", { class: "stack", id: "cases-table" },
    h("thead", {}, h("tr", {}, ["objections.case", "col.category", "case.subject", "case.complained_at",
      "cases.status", "objections.attributed", "case.objection_until"].map((k) => h("th", { scope: "col" }, t(k))))),
    h("tbody", {}, items.map((item) => h("tr", { class: item.overdue ? "overdue" : "", dataset: { complaint: item.complaint } },
      h("td", { "data-label": t("objections.case"), dataset: { csv: item.complaint } }, routeLink(`case/${item.complaint}`, shortHash(item.complaint, 10))),
      h("td", { "data-label": t("col.category") }, t(`category.${item.category}`)),
      h("td", { "data-label": t("case.subject") }, h("code", {}, item.subject)),
      h("td", { "data-label": t("case.complained_at"), dataset: { csv: item.complained_at } }, formatTime(item.complained_at)),
      h("td", { "data-label": t("cases.status"), dataset: { csv: t(`case.status.${item.status}`) } }, statusBadge(item)),
      h("td", { "data-label": t("objections.attributed") }, attributed(item.shares)),
      h("td", { "data-label": t("case.objection_until"), dataset: { csv: item.objection_until ?? "" } },
        item.objection_until ? formatTime(item.objection_until) : "—")))));
}

export function createObjectionsView(root, { onSignIn }) {
  const state = { objections: null, cases: null, status: "", error: null };
  const top = h("section", { class: "card", "aria-labelledby": "objections-title" });
  const all = h("section", { class: "card", "aria-labelledby": "cases-title" });
  fill(root, top, all);

  async function load() {
    state.error = null;
    const bar = progress(top, t("objections.loading"));
    bar.busy();
    try {
      const status = state.status ? `status=${state.status}` : "";
      const [objections, cases] = await Promise.all([allCases("status=pending_objection"), allCases(status)]);
      await prefetch([...objections, ...cases].flatMap((c) => [...c.shares.map((s) => s.party), c.objection?.by]));
      Object.assign(state, { objections, cases });
    } catch (error) {
      state.error = error;
    }
    bar.done();
    render();
  }

  function render() {
    if (state.error) {
      fill(top, h("h2", { id: "objections-title" }, t("objections.title")), problemBox(state.error),
        credential() ? null : h("p", {}, t("signin.needed"), " ",
          h("button", { type: "button", class: "secondary", onclick: onSignIn }, t("signin.import"))));
      all.hidden = true;
      return;
    }
    if (!state.objections) return;
    all.hidden = false;
    const overdue = state.objections.filter((o) => o.overdue).length;
    fill(top,
      h("div", { class: "card-head" }, h("h2", { id: "objections-title" }, t("objections.title")),
        state.objections.length ? exportButton(() => top.querySelector("#objections-table"), "objections.csv") : null),
      h("p", { class: "small muted" }, t("objections.help")),
      h("p", { role: "status", class: overdue ? "alert bad" : "muted", dataset: { overdue } },
        t("objections.summary", { count: state.objections.length, overdue })),
      state.objections.length ? h("div", { class: "table-wrap" }, objectionsTable(state.objections)) : emptyState("objections.none"));
    const filter = h("select", { id: "cases-status", "aria-label": t("cases.filter"),
      onchange: (e) => { state.status = e.target.value; load(); } },
    ["", "untraced", "pending_objection", "attributed", "not_attributable", "undecided"].map((s) =>
      h("option", { value: s, selected: state.status === s }, s ? t(`case.status.${s}`) : t("cases.all"))));
    fill(all,
      h("div", { class: "card-head" }, h("h2", { id: "cases-title" }, t("cases.title")),
        h("div", { class: "row compact" }, filter, state.cases.length ? exportButton(() => all.querySelector("#cases-table"), "cases.csv") : null)),
      state.cases.length ? h("div", { class: "table-wrap" }, casesTable(state.cases)) : emptyState("cases.none"));
  }

  return { load, render };
}
