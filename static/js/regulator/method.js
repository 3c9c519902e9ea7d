// The rating method and the attribution rules as the service discloses them (/ratings/method):
// what every grade on this page was computed with, by version.

import { t } from "../core/i18n.js";
import { facts, fill, h } from "./dom.js";

function fraction(text) {
  const [p, q] = String(text).split("/");
  return q === undefined ? p : `${((Number(p) / Number(q)) * 100).toFixed(0)}%`;
}

export function renderMethod(root, method) {
  if (!method) {
    fill(root, h("section", { class: "card" }, h("p", { class: "muted" }, t("loading"))));
    return;
  }
  const p = method.parameters;
  const severity = Object.entries(p.severity).sort((a, b) => b[1] - a[1]);
  fill(root,
    h("section", { class: "card" },
      h("h2", {}, t("method.title")),
      h("p", { class: "muted" }, t("method.intro")),
      facts([
        ["method.version", h("strong", {}, method.method_version)],
        ["method.rules_version", h("strong", {}, method.rules_version)],
        ["method.exposure", t("method.exposure.value", { pickup: fraction(p.pickup_weight), custody: fraction(p.custody_weight), delivery: fraction(p.delivery_weight) })],
        ["method.time_weights", p.time_weights.map(([months, weight], i) => t("method.time_weight", {
          from: i === 0 ? 0 : p.time_weights[i - 1][0], to: months, weight,
        })).join(" · ")],
        ["method.surcharge", t("method.surcharge.value", { factor: p.unresolved_surcharge })],
        ["method.interval", fraction(p.interval_probability)],
        ["method.sufficiency", t("method.sufficiency.value", { min: p.min_exposure_parcels, width: fraction(p.max_relative_interval_width) })],
        ["method.grades", t("method.grades.value", { better: fraction(p.better_percentile), worse: fraction(p.worse_percentile), confidence: fraction(p.grade_confidence) })],
        ["method.red", t("method.red.value", { n: p.red_list_snapshots })],
        ["method.black", t("method.black.value", { n: p.black_list_snapshots, company: p.black_list_serious_faults.company, outlet: p.black_list_serious_faults.outlet, staff: p.black_list_serious_faults.staff })],
        ["method.repair", t("method.repair.value", { days: p.repair_min_days, serious: p.repair_min_days_serious })],
        ["method.objection", t("method.objection.value", { objection: method.rules.objection_period_days, review: method.rules.review_period_days })],
      ])),
    h("section", { class: "card" },
      h("h2", {}, t("method.severity")),
      h("div", { class: "table-wrap" }, h("table", { class: "severity-table" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("col.category")), h("th", { scope: "col", class: "num" }, t("expl.severity")), h("th", { scope: "col" }, t("method.serious")))),
        h("tbody", {}, severity.map(([category, weight]) => h("tr", {},
          h("td", {}, t(`category.${category}`)), h("td", { class: "num" }, String(weight)),
          h("td", {}, p.serious_categories.includes(category) ? h("span", { class: "badge bad" }, t("method.serious.yes")) : "—"))))))),
  );
}
