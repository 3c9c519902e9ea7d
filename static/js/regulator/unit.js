// A rated unit (drill-down, first step): its published rating, its trend over the snapshots, and
// the explanation — every complaint that weighs in it with severity, time weight, share and
// surcharge — whose contributions are summed here, exactly, and compared with the published
// weighted faults.

import { api } from "../core/api.js";
import { formatTime, t } from "../core/i18n.js";
import { trendChart } from "./charts.js";
import { exportButton } from "./csv.js";
import { exactSum, formatExposure, formatRate } from "./decimal.js";
import { checkMark, emptyState, facts, fill, gradeBadge, h, problemBox, routeLink, shortHash } from "./dom.js";
import { partyLabel, prefetch } from "./parties.js";

function ratingFacts(unit, rating) {
  const peer = rating.peer_group ?? {};
  return facts([
    ["unit.role", t(`role.${unit.role}`)],
    ["unit.company", unit.company && unit.company !== unit.unit_id ? partyLabel(unit.company) : null],
    ["col.posterior", h("span", { dataset: { field: "posterior" } }, formatRate(rating.posterior_mean_per_million))],
    ["col.interval", `${formatRate(rating.interval_per_million[0])} – ${formatRate(rating.interval_per_million[1])}`],
    ["unit.raw_rate", rating.raw_rate_per_million ? formatRate(rating.raw_rate_per_million) : null],
    ["col.exposure", t("unit.exposure_detail", {
      exposure: formatExposure(rating.exposure), pickups: rating.pickups ?? 0,
      segments: rating.custody_segments ?? 0, deliveries: rating.deliveries ?? 0,
    })],
    ["col.faults", h("span", { dataset: { field: "weighted_faults" } }, rating.weighted_faults)],
    ["unit.peer_group", peer.label ? t("unit.peer_detail", {
      label: peer.label, size: peer.size, median: formatRate(peer.median_per_million),
      prior: formatRate(peer.prior_mean_per_million),
    }) : null],
    ["unit.probabilities", rating.probability_better ? t("unit.probability_detail", {
      better: rating.probability_better, worse: rating.probability_worse,
    }) : null],
  ]);
}

function reasonsList(titleKey, reasons) {
  if (!reasons?.length) return null;
  return h("div", { class: "reasons" }, h("h3", {}, t(titleKey)),
    h("ul", {}, reasons.map((r) => h("li", { title: r.code }, h("strong", {}, t(`reason.${r.code}`)), " ", h("span", { class: "small muted" }, r.detail),
      r.evidence?.length ? [" ", ...r.evidence.map((hash) => routeLink(`event/${hash}`, shortHash(hash, 8)))] : null))));
}

function explanationTable(explanation) {
  const rows = explanation.complaints;
  const total = exactSum(rows.map((r) => r.contribution), explanation.weighted_faults);
  const table = h("table", { class: "explanation-table stack", id: "explanation-table" },
    h("thead", {}, h("tr", {}, [
      "expl.complaint", "expl.category", "expl.occurred", "expl.severity", "expl.time_weight",
      "expl.share", "expl.surcharge", "expl.repaired", "expl.contribution",
    ].map((key, i) => h("th", { scope: "col", class: i >= 3 && i !== 7 ? "num" : "" }, t(key))))),
    h("tbody", {}, rows.map((r) => h("tr", { dataset: { complaint: r.complaint } },
      h("td", { "data-label": t("expl.complaint"), dataset: { csv: r.complaint } },
        routeLink(`case/${r.complaint}`, shortHash(r.complaint, 12)),
        r.index !== null && r.index !== undefined ? h("span", { class: "small muted" }, ` #${r.index}`) : null),
      h("td", { "data-label": t("expl.category") }, t(`category.${r.category}`)),
      h("td", { "data-label": t("expl.occurred"), dataset: { csv: r.occurred_at } }, formatTime(r.occurred_at)),
      h("td", { class: "num", "data-label": t("expl.severity") }, String(r.severity)),
      h("td", { class: "num", "data-label": t("expl.time_weight") }, String(r.time_weight)),
      h("td", { class: "num", "data-label": t("expl.share") }, r.share),
      h("td", { class: "num", "data-label": t("expl.surcharge") }, r.surcharge),
      h("td", { "data-label": t("expl.repaired") }, r.repaired ? t("yes") : t("no")),
      h("td", { class: "num", "data-label": t("expl.contribution"), dataset: { csv: r.contribution } }, r.contribution)))),
    h("tfoot", {}, h("tr", { class: "sum-row" },
      h("th", { scope: "row", colspan: 8 }, t("expl.sum")),
      h("td", { class: "num", dataset: { field: "sum" } }, total.sum))));
  const equality = h("p", { class: `equality ${total.equal ? "ok" : "bad"}`, dataset: { balanced: String(total.equal) } },
    checkMark(total.equal, "expl.equal", "expl.not_equal", { sum: total.sum, published: explanation.weighted_faults }));
  return { table, equality, total };
}

/** Render the unit `id` (as of snapshot `index`, default the latest) into `root`. */
export async function renderUnit(root, id, index) {
  fill(root, h("p", { class: "muted" }, t("loading")));
  let unit;
  let explanation;
  try {
    const query = index !== undefined && index !== null ? `?snapshot=${index}` : "";
    [unit, explanation] = await Promise.all([
      api.get(`/ratings/units/${encodeURIComponent(id)}`),
      api.get(`/ratings/units/${encodeURIComponent(id)}/explanation${query}`),
    ]);
  } catch (error) {
    fill(root, problemBox(error));
    return null;
  }
  await prefetch([unit.company]);
  const rating = explanation.snapshot.index === unit.snapshot.index ? unit.latest
    : { ...unit.latest, ...explanation, probability_better: null, probability_worse: null, pickups: null };
  const { table, equality } = explanationTable(explanation);
  fill(root,
    h("section", { class: "card unit-card" },
      h("div", { class: "card-head" },
        h("div", {}, h("h2", {}, unit.name ?? unit.unit_id), h("code", { class: "muted" }, unit.unit_id)),
        h("div", { class: "grade-big" }, gradeBadge(explanation.grade))),
      h("p", { class: "small muted" }, t("unit.snapshot_line", {
        index: explanation.snapshot.index, as_of: formatTime(explanation.snapshot.as_of),
        method: explanation.method_version,
      })),
      unit.black_listed ? h("p", { class: "alert bad" }, t("unit.black_listed")) : null,
      ratingFacts(unit, rating),
      reasonsList("unit.black_list_reasons", rating.black_list_reasons),
      reasonsList("unit.red_list_blockers", rating.red_list_blockers)),
    h("section", { class: "card" }, h("h2", {}, t("trend.title")),
      unit.history.length ? trendChart(unit.history, explanation.snapshot.index) : emptyState("trend.none")),
    h("section", { class: "card" },
      h("div", { class: "card-head" }, h("h2", {}, t("expl.title")),
        explanation.complaints.length ? exportButton(() => root.querySelector("#explanation-table"), `explanation-${id}-${explanation.snapshot.index}.csv`) : null),
      h("p", { class: "small muted" }, t("expl.help")),
      explanation.complaints.length ? h("div", { class: "table-wrap" }, table) : emptyState("expl.none"),
      equality,
      h("p", { class: "small muted" }, t("expl.server_balanced", { balanced: explanation.balanced ? t("yes") : t("no") }))),
  );
  return { title: unit.name ?? unit.unit_id };
}
