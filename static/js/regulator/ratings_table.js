// The ratings table (公示): one row per rated unit of the shown snapshot, filtered by role,
// grade, company and name, sortable by every column; each row's grade opens the unit.

import { t } from "../core/i18n.js";
import { sparkline, trendText } from "./charts.js";
import { formatExposure, formatRate } from "./decimal.js";
import { fill, gradeBadge, h } from "./dom.js";

export const ROLES = ["company", "outlet", "staff"];
const GRADE_ORDER = { A: 0, B: 1, C: 2, D: 3, insufficient_data: 4 };

const COLUMNS = [
  { key: "name", label: "col.unit", value: (u) => u.name ?? u.unit_id },
  { key: "role", label: "col.role", value: (u) => ROLES.indexOf(u.role) },
  { key: "grade", label: "col.grade", value: (u) => GRADE_ORDER[u.grade] ?? 9 },
  { key: "posterior", label: "col.posterior", num: true, value: (u) => Number(u.posterior_mean_per_million) },
  { key: "interval", label: "col.interval", num: true, value: (u) => Number(u.interval_per_million[0]) },
  { key: "exposure", label: "col.exposure", num: true, value: (u) => Number(u.exposure) },
  { key: "faults", label: "col.faults", num: true, value: (u) => Number(u.weighted_faults) },
  { key: "sufficiency", label: "col.sufficiency", value: (u) => (u.grade === "insufficient_data" ? 1 : 0) },
  { key: "trend", label: "col.trend", sortable: false },
  { key: "lists", label: "col.lists", value: (u) => (u.black_listed ? 0 : u.red_list ? 1 : 2) },
];

/** Rows passing the filters, in the chosen order (ties by unit id, so the order is stable). */
export function visibleUnits(units, filters, sort) {
  const query = (filters.search ?? "").trim().toLowerCase();
  const rows = units.filter((u) =>
    (filters.role === "all" || u.role === filters.role)
    && (!filters.grade || u.grade === filters.grade)
    && (!filters.company || u.company === filters.company)
    && (!query || `${u.name ?? ""} ${u.unit_id}`.toLowerCase().includes(query)));
  const column = COLUMNS.find((c) => c.key === sort.key) ?? COLUMNS[0];
  const direction = sort.dir === "desc" ? -1 : 1;
  return rows.sort((a, b) => {
    const [x, y] = [column.value(a), column.value(b)];
    const order = typeof x === "string" ? x.localeCompare(y, "zh-CN") : x - y;
    return order * direction || a.unit_id.localeCompare(b.unit_id);
  });
}

/** Whether the unit's data suffice for a grade, in words (the method's minimum exposure). */
function sufficiency(unit, minExposure) {
  if (unit.grade !== "insufficient_data") return h("span", { class: "badge ok" }, t("sufficiency.ok"));
  const low = minExposure && Number(unit.exposure) < Number(minExposure);
  return h("span", { class: "badge neutral", title: low ? t("sufficiency.low_title", { min: minExposure }) : "" },
    t(low ? "sufficiency.low_exposure" : "sufficiency.insufficient"));
}

function listBadges(unit) {
  const badges = [];
  if (unit.black_listed) badges.push(h("span", { class: "badge bad" }, t("list.black")));
  if (unit.red_list) badges.push(h("span", { class: "badge ok" }, t("list.red")));
  return badges.length ? badges : [h("span", { class: "muted" }, "—")];
}

export function trendCell(cell, history, currentSnapshot) {
  if (!history) {
    fill(cell, h("span", { class: "muted small" }, "…"));
    cell.dataset.csv = "";
    return;
  }
  fill(cell, sparkline(history, currentSnapshot));
  cell.dataset.csv = trendText(history);
}

/**
 * The table element for `rows`. `sort` {key, dir}; `onSort(key)`; `onOpen(unit)`;
 * `histories` Map unit_id → history; `snapshot` the shown snapshot's index.
 */
export function ratingsTable(rows, { sort, onSort, onOpen, histories, snapshot, minExposure }) {
  const head = h("tr", {}, COLUMNS.map((column) => {
    const active = sort.key === column.key;
    const label = t(column.label);
    const th = h("th", {
      scope: "col",
      class: column.num ? "num" : "",
      "aria-sort": active ? (sort.dir === "desc" ? "descending" : "ascending") : undefined,
      dataset: { csvLabel: label, column: column.key },
    });
    if (column.sortable === false) th.append(label);
    else {
      th.append(h("button", { type: "button", class: "sort", onclick: () => onSort(column.key) },
        label, h("span", { class: "sort-mark", "aria-hidden": "true" }, active ? (sort.dir === "desc" ? "▼" : "▲") : "↕")));
    }
    return th;
  }));
  const body = h("tbody", {}, rows.map((u) => {
    const trend = h("td", { class: "trend", "data-label": t("col.trend") });
    trendCell(trend, histories.get(u.unit_id), snapshot);
    return h("tr", { dataset: { unit: u.unit_id } },
      h("td", { "data-label": t("col.unit"), class: "unit-cell", dataset: { csv: `${u.name ?? ""} (${u.unit_id})` } },
        h("div", { class: "unit-name" }, u.name ?? u.unit_id), h("code", { class: "muted small" }, u.unit_id)),
      h("td", { "data-label": t("col.role") }, t(`role.${u.role}`)),
      h("td", { "data-label": t("col.grade"), dataset: { csv: t(`grade.${u.grade}`) } },
        h("button", { type: "button", class: "grade-link", title: t("ratings.open_unit"),
          "aria-label": `${t("ratings.open_unit")}: ${u.name ?? u.unit_id}`, onclick: () => onOpen(u) },
        gradeBadge(u.grade))),
      h("td", { class: "num", "data-label": t("col.posterior"), dataset: { csv: u.posterior_mean_per_million } },
        formatRate(u.posterior_mean_per_million)),
      h("td", { class: "num interval", "data-label": t("col.interval"),
        dataset: { csv: `${u.interval_per_million[0]} – ${u.interval_per_million[1]}` } },
      `${formatRate(u.interval_per_million[0])} – ${formatRate(u.interval_per_million[1])}`),
      h("td", { class: "num", "data-label": t("col.exposure"), dataset: { csv: u.exposure } }, formatExposure(u.exposure)),
      h("td", { class: "num", "data-label": t("col.faults"), dataset: { csv: u.weighted_faults } }, formatRate(u.weighted_faults)),
      h("td", { "data-label": t("col.sufficiency") }, sufficiency(u, minExposure)),
      trend,
      h("td", { "data-label": t("col.lists") }, listBadges(u)));
  }));
  return h("table", { class: "ratings-table stack", id: "ratings-table" }, h("thead", {}, head), body);
}

/** Grade chips with counts for the rows of the current role: a click filters by that grade. */
export function gradeChips(units, filters, onGrade) {
  const counts = {};
  for (const u of units) {
    if (filters.role === "all" || u.role === filters.role) counts[u.grade] = (counts[u.grade] ?? 0) + 1;
  }
  return h("div", { class: "chips", role: "group", "aria-label": t("filter.grade") },
    ["A", "B", "C", "D", "insufficient_data"].map((grade) => h("button", {
      type: "button",
      class: `chip grade-chip grade-${grade === "insufficient_data" ? "none" : grade.toLowerCase()}`,
      "aria-pressed": String(filters.grade === grade),
      dataset: { grade },
      onclick: () => onGrade(filters.grade === grade ? "" : grade),
    }, h("span", { class: "chip-label" }, t(`grade.${grade}`)), h("span", { class: "chip-count" }, String(counts[grade] ?? 0)))));
}
