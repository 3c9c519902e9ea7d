// The ratings view: the shown snapshot (as of, content hash checked in the browser, method and
// rules versions, a picker over every logged snapshot), the table with its trends, the funnel
// plot, CSV export, and — for a signed-in regulator — an on-demand snapshot.

import { api, ApiError } from "../core/api.js";
import { hex, sha256 } from "../core/crypto.js";
import { formatTime, t } from "../core/i18n.js";
import { exportButton } from "./csv.js";
import { checkMark, emptyState, fill, h, problemBox, progress, shortHash } from "./dom.js";
import { funnelPlot } from "./funnel.js";
import { rememberResolved } from "./parties.js";
import { gradeChips, ratingsTable, ROLES, trendCell, visibleUnits } from "./ratings_table.js";
import { credential } from "./session.js";

const TREND_CONCURRENCY = 4;

export function createRatingsView(root, { open, method }) {
  const state = {
    snapshots: [],
    latest: null, // {snapshot, units} from /ratings
    shown: null, // the snapshot header shown
    units: [],
    check: null, // {ok, computed} of the shown snapshot's content hash
    filters: { role: "all", grade: "", company: "", search: "" },
    sort: { key: "role", dir: "asc" },
    histories: new Map(),
    funnelMode: "observed",
    error: null,
    message: null,
  };
  const parts = {
    snapshot: h("section", { class: "card snapshot-card", "aria-labelledby": "snapshot-title" }),
    table: h("section", { class: "card", "aria-labelledby": "table-title" }),
    funnel: h("section", { class: "card", "aria-labelledby": "funnel-title" }),
  };
  fill(root, parts.snapshot, parts.table, parts.funnel);

  async function allSnapshots() {
    const items = [];
    for (let page = 1; ; page += 1) {
      const got = await api.get(`/ratings/snapshots?page=${page}&page_size=500`);
      items.push(...got.items);
      if (items.length >= got.total || got.items.length === 0) return items;
    }
  }

  async function load() {
    state.error = null;
    try {
      state.latest = await api.get("/ratings");
      state.snapshots = await allSnapshots();
    } catch (error) {
      state.latest = null;
      state.error = error;
      render();
      return;
    }
    for (const u of state.latest.units) rememberResolved(u.unit_id, u.name, u.role);
    showLatest();
    render();
    await loadTrends();
  }

  function showLatest() {
    state.shown = state.latest.snapshot;
    state.units = state.latest.units;
    state.check = null;
  }

  /** An older snapshot from its logged content: hashed here and compared with the log. */
  async function showSnapshot(index) {
    state.message = null;
    if (index === state.latest.snapshot.index) {
      showLatest();
      render();
      await loadTrends();
      return;
    }
    const bar = progress(parts.snapshot.querySelector(".snapshot-progress"), t("snapshot.loading", { index }));
    bar.busy();
    try {
      const header = state.snapshots.find((s) => s.index === index);
      const bytes = await api.bytes(`/ratings/snapshots/${index}/content`);
      const computed = hex(await sha256(bytes));
      const current = new Map(state.latest.units.map((u) => [u.unit_id, u]));
      const lines = new TextDecoder().decode(bytes).split("\n").filter(Boolean).map((l) => JSON.parse(l));
      state.units = lines.filter((line) => line.kind === "rating").map((line) => ({
        unit_id: line.unit_id,
        name: current.get(line.unit_id)?.name ?? null,
        role: line.role,
        company: current.get(line.unit_id)?.company ?? null,
        grade: line.grade,
        posterior_mean_per_million: line.posterior_mean_per_million,
        interval_per_million: line.interval_per_million,
        exposure: line.exposure,
        weighted_faults: line.weighted_faults,
        red_list: Boolean(line.lists?.red_list),
        black_listed: Boolean(current.get(line.unit_id)?.black_listed),
      }));
      state.shown = header;
      state.check = { ok: computed === header.content_hash, computed };
    } catch (error) {
      state.message = problemBox(error);
    } finally {
      bar.done();
    }
    render();
    await loadTrends();
  }

  async function verifyShown() {
    state.message = null;
    const holder = parts.snapshot.querySelector(".snapshot-progress");
    const bar = progress(holder, t("snapshot.verifying"));
    bar.busy();
    try {
      const bytes = await api.bytes(`/ratings/snapshots/${state.shown.index}/content`);
      const computed = hex(await sha256(bytes));
      state.check = { ok: computed === state.shown.content_hash, computed };
    } catch (error) {
      state.message = problemBox(error);
    } finally {
      bar.done();
    }
    render();
  }

  async function takeSnapshot() {
    state.message = null;
    const bar = progress(parts.snapshot.querySelector(".snapshot-progress"), t("snapshot.taking"));
    bar.busy();
    try {
      const taken = await api.post("/ratings/snapshots", {}, { credential: credential() });
      state.message = h("p", { class: "alert ok", role: "status" },
        t("snapshot.taken", { index: taken.index, units: taken.units, nominations: taken.nominations }));
      state.histories.clear();
      bar.done();
      await load();
      document.dispatchEvent(new CustomEvent("datachange"));
    } catch (error) {
      bar.done();
      state.message = problemBox(error);
      render();
    }
  }

  /** Each shown unit's grade history (one request per unit not yet loaded), with progress. */
  async function loadTrends() {
    const rows = visibleUnits(state.units, state.filters, state.sort);
    const missing = rows.filter((u) => !state.histories.has(u.unit_id)).map((u) => u.unit_id);
    if (missing.length === 0) return;
    const holder = parts.table.querySelector(".trend-progress");
    const bar = progress(holder, t("trend.loading", { done: 0, total: missing.length }));
    let done = 0;
    const queue = [...missing];
    const worker = async () => {
      while (queue.length) {
        const id = queue.shift();
        try {
          const unit = await api.get(`/ratings/units/${encodeURIComponent(id)}`);
          state.histories.set(id, unit.history);
        } catch (error) {
          if (!(error instanceof ApiError) || error.status !== 404) throw error;
          state.histories.set(id, []);
        }
        done += 1;
        bar.set(done, missing.length, t("trend.loading", { done, total: missing.length }));
        const cell = parts.table.querySelector(`tr[data-unit="${CSS.escape(id)}"] td.trend`);
        if (cell) trendCell(cell, state.histories.get(id), state.shown?.index);
      }
    };
    try {
      await Promise.all(Array.from({ length: TREND_CONCURRENCY }, worker));
      bar.done();
    } catch (error) {
      fill(holder, problemBox(error));
    }
  }

  function renderSnapshot() {
    const card = parts.snapshot;
    fill(card, h("h2", { id: "snapshot-title" }, t("snapshot.title")));
    if (state.message) card.append(state.message);
    if (!state.shown) return;
    const shown = state.shown;
    const picker = h("select", { id: "snapshot-picker", "aria-label": t("snapshot.pick"),
      onchange: (event) => showSnapshot(Number(event.target.value)) },
    state.snapshots.map((s) => h("option", { value: s.index, selected: s.index === shown.index },
      t("snapshot.option", { index: s.index, as_of: formatTime(s.as_of), units: s.units }))));
    const check = state.check
      ? checkMark(state.check.ok, "snapshot.hash_ok", "snapshot.hash_bad")
      : h("button", { type: "button", class: "secondary small-button", onclick: verifyShown }, t("snapshot.verify"));
    card.append(
      h("div", { class: "snapshot-meta" },
        h("div", {}, h("span", { class: "meta-label" }, t("snapshot.as_of")), h("strong", { dataset: { field: "as_of" } }, formatTime(shown.as_of))),
        h("div", {}, h("span", { class: "meta-label" }, t("snapshot.index")), h("strong", {}, `#${shown.index}`)),
        h("div", {}, h("span", { class: "meta-label" }, t("snapshot.method")), h("strong", { dataset: { field: "method" } }, shown.method_version)),
        h("div", {}, h("span", { class: "meta-label" }, t("snapshot.rules")), h("strong", {}, shown.rules_version)),
        h("div", {}, h("span", { class: "meta-label" }, t("snapshot.units")), h("strong", {}, String(shown.units))),
        h("div", { class: "hash-meta" }, h("span", { class: "meta-label" }, t("snapshot.content_hash")),
          h("code", { class: "hash", dataset: { field: "content_hash" }, title: shown.content_hash }, shown.content_hash), " ", check)),
      h("div", { class: "row snapshot-actions" },
        h("label", { class: "inline" }, h("span", {}, t("snapshot.pick")), picker),
        credential()
          ? h("button", { type: "button", class: "secondary", id: "take-snapshot", onclick: takeSnapshot }, t("snapshot.take"))
          : null),
      h("div", { class: "snapshot-progress", hidden: true }),
    );
  }

  function renderTable() {
    const card = parts.table;
    const f = state.filters;
    const companies = state.units.filter((u) => u.role === "company");
    const rows = visibleUnits(state.units, f, state.sort);
    const set = (key, value) => {
      f[key] = value;
      render();
      loadTrends();
    };
    const table = ratingsTable(rows, {
      sort: state.sort,
      onSort: (key) => {
        state.sort = { key, dir: state.sort.key === key && state.sort.dir === "asc" ? "desc" : "asc" };
        render();
      },
      onOpen: (unit) => open(unit, state.shown.index),
      histories: state.histories,
      snapshot: state.shown.index,
      minExposure: method()?.parameters?.min_exposure_parcels,
    });
    const fileName = () => `ratings-${state.shown.index}-${f.role}${f.grade ? `-${f.grade}` : ""}.csv`;
    fill(card,
      h("div", { class: "card-head" }, h("h2", { id: "table-title" }, t("ratings.title")),
        exportButton(() => card.querySelector("#ratings-table"), fileName)),
      h("div", { class: "tabs-inline", role: "tablist", "aria-label": t("filter.role") },
        ["all", ...ROLES].map((role) => h("button", { type: "button", role: "tab",
          "aria-selected": String(f.role === role), dataset: { role }, onclick: () => set("role", role) },
        t(role === "all" ? "role.all" : `role.${role}.plural`)))),
      gradeChips(state.units, f, (grade) => set("grade", grade)),
      h("div", { class: "row filters" },
        h("label", {}, h("span", {}, t("filter.company")),
          h("select", { id: "filter-company", onchange: (e) => set("company", e.target.value) },
            h("option", { value: "" }, t("filter.company.all")),
            companies.map((c) => h("option", { value: c.unit_id, selected: f.company === c.unit_id }, c.name ?? c.unit_id)))),
        h("label", {}, h("span", {}, t("filter.search")),
          h("input", { type: "search", id: "filter-search", value: f.search, placeholder: t("filter.search.placeholder"),
            onchange: (e) => set("search", e.target.value) }))),
      h("p", { class: "small muted", role: "status", dataset: { count: rows.length } },
        t("ratings.count", { shown: rows.length, total: state.units.length })),
      h("div", { class: "trend-progress", hidden: true }),
      rows.length ? h("div", { class: "table-wrap" }, table) : emptyState("ratings.empty_filter"),
      h("p", { class: "small muted" }, t("ratings.note")),
    );
  }

  function renderFunnel() {
    const card = parts.funnel;
    const rows = visibleUnits(state.units, state.filters, state.sort);
    const mode = h("select", { id: "funnel-mode", "aria-label": t("funnel.mode"),
      onchange: (e) => { state.funnelMode = e.target.value; renderFunnel(); } },
    ["observed", "posterior"].map((m) => h("option", { value: m, selected: state.funnelMode === m }, t(`funnel.mode.${m}`))));
    fill(card,
      h("div", { class: "card-head" }, h("h2", { id: "funnel-title" }, t("funnel.title")), mode),
      state.filters.role === "all" ? h("p", { class: "small muted" }, t("funnel.mixed_roles")) : null,
      funnelPlot(rows, { mode: state.funnelMode, onSelect: (unit) => open(unit, state.shown.index) }),
    );
  }

  function render() {
    if (state.error) {
      const noSnapshot = state.error instanceof ApiError && state.error.code === "no_snapshot";
      fill(parts.snapshot, h("h2", { id: "snapshot-title" }, t("snapshot.title")),
        noSnapshot ? emptyState("snapshot.none") : problemBox(state.error),
        noSnapshot && credential()
          ? h("button", { type: "button", id: "take-snapshot", onclick: takeSnapshot }, t("snapshot.take")) : null,
        h("div", { class: "snapshot-progress", hidden: true }));
      parts.table.hidden = true;
      parts.funnel.hidden = true;
      return;
    }
    if (!state.shown) return;
    parts.table.hidden = false;
    parts.funnel.hidden = false;
    renderSnapshot();
    renderTable();
    renderFunnel();
  }

  return { load, render, state };
}
