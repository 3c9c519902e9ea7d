// The credit lists (公示): red list (守信红名单) of the latest snapshot, the confirmed black list
// (失信黑名单) with its decisions and reasons, and — for regulators — the black-list nominations
// awaiting a decision, each with its reasons, evidence and a confirm/reject form.

import { api, ApiError } from "../core/api.js";
import { formatTime, t } from "../core/i18n.js";
import { exportButton } from "./csv.js";
import { decisionForm } from "./decide.js";
import { emptyState, fill, gradeBadge, h, problemBox, routeLink, shortHash } from "./dom.js";
import { formatRate } from "./decimal.js";
import { partyLabel, prefetch } from "./parties.js";
import { credential } from "./session.js";

function reasons(list) {
  if (!list?.length) return h("span", { class: "muted" }, "—");
  return h("ul", { class: "reasons-list" }, list.map((r) => h("li", { title: r.code },
    h("strong", {}, t(`reason.${r.code}`)), " ", h("span", { class: "small muted" }, r.detail),
    r.evidence?.length ? h("div", { class: "small" }, t("lists.evidence"), " ",
      r.evidence.map((hash) => [routeLink(`event/${hash}`, shortHash(hash, 8)), " "])) : null)));
}

function redTable(units, open) {
  return h("table", { class: "stack", id: "red-table" },
    h("thead", {}, h("tr", {}, ["col.unit", "col.role", "col.grade", "col.posterior"].map((k, i) =>
      h("th", { scope: "col", class: i === 3 ? "num" : "" }, t(k))))),
    h("tbody", {}, units.map((u) => h("tr", {},
      h("td", { "data-label": t("col.unit"), dataset: { csv: `${u.name ?? ""} (${u.unit_id})` } },
        h("button", { type: "button", class: "link", onclick: () => open(u) }, u.name ?? u.unit_id)),
      h("td", { "data-label": t("col.role") }, t(`role.${u.role}`)),
      h("td", { "data-label": t("col.grade"), dataset: { csv: t(`grade.${u.grade}`) } }, gradeBadge(u.grade)),
      h("td", { class: "num", "data-label": t("col.posterior"), dataset: { csv: u.posterior_mean_per_million } }, formatRate(u.posterior_mean_per_million))))));
}

function blackTable(entries) {
  return h("table", { class: "stack", id: "black-table" },
    h("thead", {}, h("tr", {}, ["col.unit", "col.role", "lists.since", "lists.decision", "lists.reasons", "lists.objected"].map((k) => h("th", { scope: "col" }, t(k))))),
    h("tbody", {}, entries.map((e) => h("tr", {},
      h("td", { "data-label": t("col.unit"), dataset: { csv: `${e.name ?? ""} (${e.party})` } }, partyLabel(e.party)),
      h("td", { "data-label": t("col.role") }, e.kind ? t(`role.${e.kind}`) : "—"),
      h("td", { "data-label": t("lists.since"), dataset: { csv: e.since } }, formatTime(e.since)),
      h("td", { "data-label": t("lists.decision"), dataset: { csv: e.decision } }, routeLink(`event/${e.decision}`, shortHash(e.decision, 8))),
      h("td", { "data-label": t("lists.reasons"), dataset: { csv: e.reasons.map((r) => `${r.code}: ${r.detail}`).join("; ") } }, reasons(e.reasons)),
      h("td", { "data-label": t("lists.objected") }, e.objected ? t("yes") : t("no"))))));
}

function nominationCard(nomination, onDone) {
  return h("article", { class: "nomination", dataset: { party: nomination.party } },
    h("div", { class: "card-head" }, h("h3", {}, partyLabel(nomination.party)),
      h("span", { class: "badge warn" }, t("lists.awaiting"))),
    h("p", { class: "small muted" }, t("lists.nominated_line", {
      at: formatTime(nomination.nominated_at), index: nomination.snapshot?.index ?? "—",
      as_of: nomination.snapshot?.as_of ? formatTime(nomination.snapshot.as_of) : "—",
    }), " ", routeLink(`event/${nomination.nomination}`, t("lists.open_nomination"))),
    reasons(nomination.reasons),
    h("details", { class: "decide" }, h("summary", { class: "button secondary" }, t("lists.decide")), decisionForm({
      outcomes: ["confirmed", "rejected"],
      target: { subject: `party/${nomination.party}`, prev: nomination.nomination, on: nomination.nomination },
      titleKey: "decision.title.nomination",
      onDone,
    })));
}

export function createListsView(root, { open }) {
  const cards = {
    nominations: h("section", { class: "card", "aria-labelledby": "nominations-title" }),
    red: h("section", { class: "card", "aria-labelledby": "red-title" }),
    black: h("section", { class: "card", "aria-labelledby": "black-title" }),
  };
  fill(root, cards.nominations, cards.red, cards.black);
  let lastDone = null;

  async function loadNominations() {
    const card = cards.nominations;
    const head = h("h2", { id: "nominations-title" }, t("lists.nominations"));
    if (!credential()) {
      fill(card, head, h("p", { class: "muted" }, t("lists.nominations.signin")));
      return;
    }
    try {
      const nominations = await api.get("/lists/nominations", { credential: credential() });
      await prefetch(nominations.map((n) => n.party));
      fill(card, head, h("p", { class: "small muted" }, t("lists.nominations.help")),
        lastDone ? h("p", { class: "alert ok", role: "status" }, t("lists.decided", { index: lastDone.receipt.index })) : null,
        nominations.length ? nominations.map((n) => nominationCard(n, async (done) => {
          lastDone = done;
          await load();
          document.dispatchEvent(new CustomEvent("datachange"));
        })) : emptyState("lists.nominations.none"));
    } catch (error) {
      fill(card, head, problemBox(error));
    }
  }

  async function loadRed() {
    const card = cards.red;
    const head = h("div", { class: "card-head" }, h("h2", { id: "red-title" }, t("lists.red")));
    try {
      const red = await api.get("/lists/red");
      if (red.units.length) head.append(exportButton(() => card.querySelector("#red-table"), `red-list-${red.snapshot.index}.csv`));
      fill(card, head,
        h("p", { class: "small muted" }, t("lists.red.help", { index: red.snapshot.index, as_of: formatTime(red.snapshot.as_of) })),
        red.units.length ? h("div", { class: "table-wrap" }, redTable(red.units, (u) => open(u, red.snapshot.index))) : emptyState("lists.red.none"));
    } catch (error) {
      const none = error instanceof ApiError && error.code === "no_snapshot";
      fill(card, head, none ? emptyState("snapshot.none") : problemBox(error));
    }
  }

  async function loadBlack() {
    const card = cards.black;
    const head = h("div", { class: "card-head" }, h("h2", { id: "black-title" }, t("lists.black")));
    try {
      const black = await api.get("/lists/black");
      await prefetch(black.map((e) => e.party));
      if (black.length) head.append(exportButton(() => card.querySelector("#black-table"), "black-list.csv"));
      fill(card, head, h("p", { class: "small muted" }, t("lists.black.help")),
        black.length ? h("div", { class: "table-wrap" }, blackTable(black)) : emptyState("lists.black.none"));
    } catch (error) {
      fill(card, head, problemBox(error));
    }
  }

  async function load() {
    for (const card of Object.values(cards)) fill(card, h("p", { class: "muted" }, t("loading")));
    await Promise.all([loadNominations(), loadRed(), loadBlack()]);
  }

  return { load };
}
