// Funnel plot (漏斗图) of the shown units: each unit's rate against its exposure, with the pooled
// rate of those units and its 95% and 99.8% Poisson control limits as a function of exposure
// (Spiegelhalter 2005, with the interpolation that makes exact Poisson limits smooth). Drawn
// as SVG here: no chart library.

import { formatNumber, t } from "../core/i18n.js";
import { axisNumber, chartWidth, gradeColour, niceTicks } from "./charts.js";
import { formatExposure, formatRate } from "./decimal.js";
import { fill, gradeBadge, h, s } from "./dom.js";

// Standard normal quantiles of the four limit probabilities.
const Z = { 0.001: -3.090232, 0.025: -1.959964, 0.975: 1.959964, 0.999: 3.090232 };
export const LIMITS = [
  { key: "998", lower: 0.001, upper: 0.999 },
  { key: "95", lower: 0.025, upper: 0.975 },
];

/** The p-quantile of Poisson(mu), interpolated between integers (continuous in mu). */
export function poissonQuantile(p, mu) {
  if (!(mu > 0)) return 0;
  if (mu > 400) return Math.max(0, mu + Z[p] * Math.sqrt(mu));
  let r = 0;
  let pmf = Math.exp(-mu);
  let cdf = pmf;
  while (cdf < p && r < 10000) {
    r += 1;
    pmf *= mu / r;
    cdf += pmf;
  }
  const alpha = pmf > 0 ? (cdf - p) / pmf : 0;
  return Math.max(0, r - alpha);
}

/** Control limit (per million) at `exposure` around the pooled rate `theta` (per parcel). */
export function controlLimit(p, theta, exposure) {
  return (poissonQuantile(p, theta * exposure) / exposure) * 1e6;
}

function plotted(units, mode) {
  return units
    .map((u) => ({
      unit: u,
      exposure: Number(u.exposure),
      faults: Number(u.weighted_faults),
      rate: mode === "posterior" ? Number(u.posterior_mean_per_million)
        : (Number(u.weighted_faults) / Number(u.exposure)) * 1e6,
    }))
    .filter((p) => p.exposure > 0 && Number.isFinite(p.rate));
}

/**
 * The funnel for `units` (ratings rows). `onSelect(unit)` drills down; `mode` is "observed"
 * (weighted faults ÷ exposure) or "posterior".
 */
export function funnelPlot(units, { mode = "observed", onSelect } = {}) {
  const points = plotted(units, mode);
  if (points.length === 0) return h("p", { class: "empty muted" }, t("funnel.empty"));
  const totalExposure = points.reduce((sum, p) => sum + p.exposure, 0);
  const theta = points.reduce((sum, p) => sum + p.faults, 0) / totalExposure;
  const W = chartWidth(760);
  const H = Math.round(Math.max(320, Math.min(400, W * 0.62)));
  const m = { left: 72, right: 20, top: 18, bottom: 52 };
  const exposures = points.map((p) => p.exposure);
  const [eMin, eMax] = [Math.min(...exposures), Math.max(...exposures)];
  const logScale = eMax / eMin > 30;
  const xLo = logScale ? eMin / 1.3 : 0;
  const xHi = logScale ? eMax * 1.3 : eMax * 1.08;
  const x = logScale
    ? (e) => m.left + ((Math.log10(e) - Math.log10(xLo)) * (W - m.left - m.right)) / (Math.log10(xHi) - Math.log10(xLo))
    : (e) => m.left + ((e - xLo) * (W - m.left - m.right)) / (xHi - xLo);
  const rates = points.map((p) => p.rate);
  const yTicks = niceTicks(0, Math.max(...rates, theta * 1e6 * 2) * 1.1, 5);
  const yHi = yTicks[yTicks.length - 1];
  const y = (v) => m.top + ((yHi - Math.min(Math.max(v, 0), yHi * 1.5)) * (H - m.top - m.bottom)) / yHi;

  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "funnel", role: "img",
    "aria-label": t("funnel.aria", { count: points.length }) });
  svg.append(s("defs", {}, s("clipPath", { id: "funnel-clip" },
    s("rect", { x: m.left, y: m.top, width: W - m.left - m.right, height: H - m.top - m.bottom }))));
  for (const tick of yTicks) {
    svg.append(s("line", { x1: m.left, x2: W - m.right, y1: y(tick), y2: y(tick), class: "grid" }),
      s("text", { x: m.left - 8, y: y(tick) + 4, "text-anchor": "end", class: "axis" }, axisNumber(tick, yTicks[1] - yTicks[0])));
  }
  const xTicks = logScale
    ? Array.from({ length: Math.floor(Math.log10(xHi)) - Math.ceil(Math.log10(xLo)) + 1 },
      (_, i) => 10 ** (Math.ceil(Math.log10(xLo)) + i))
    : niceTicks(0, xHi, 6).filter((v) => v <= xHi);
  for (const tick of xTicks) {
    svg.append(s("line", { x1: x(tick), x2: x(tick), y1: m.top, y2: H - m.bottom, class: "grid" }),
      s("text", { x: x(tick), y: H - m.bottom + 18, "text-anchor": "middle", class: "axis" }, axisNumber(tick, logScale ? tick : xTicks[1] - xTicks[0])));
  }
  svg.append(
    s("text", { x: (m.left + W - m.right) / 2, y: H - 10, "text-anchor": "middle", class: "axis-title" },
      t(logScale ? "funnel.axis.exposure_log" : "funnel.axis.exposure")),
    s("text", { x: 14, y: (m.top + H - m.bottom) / 2, "text-anchor": "middle", class: "axis-title",
      transform: `rotate(-90 14 ${(m.top + H - m.bottom) / 2})` },
    t(mode === "posterior" ? "funnel.axis.posterior" : "funnel.axis.observed")),
  );

  // Limits sampled along the exposure axis (geometrically on a log axis).
  const samples = Array.from({ length: 90 }, (_, i) => {
    const f = i / 89;
    return logScale ? xLo * (xHi / xLo) ** f : Math.max(xHi * f, xHi / 400);
  });
  const curve = (p) => samples.map((e) => `${x(e)},${y(controlLimit(p, theta, e))}`).join(" ");
  const limits = s("g", { "clip-path": "url(#funnel-clip)" });
  for (const limit of LIMITS) {
    const band = `${curve(limit.upper)} ${samples.map((e) => `${x(e)},${y(controlLimit(limit.lower, theta, e))}`).reverse().join(" ")}`;
    limits.append(s("polygon", { points: band, class: `band band-${limit.key}` }));
  }
  for (const limit of LIMITS) {
    limits.append(s("polyline", { points: curve(limit.upper), class: `limit limit-${limit.key}` }),
      s("polyline", { points: curve(limit.lower), class: `limit limit-${limit.key}` }));
  }
  limits.append(s("line", { x1: m.left, x2: W - m.right, y1: y(theta * 1e6), y2: y(theta * 1e6), class: "mean" }));
  svg.append(limits);

  const wrap = h("div", { class: "funnel-wrap" });
  const tip = h("div", { class: "funnel-tip", role: "tooltip", hidden: true });
  let tipFor = null;
  const showTip = (point, cx, cy) => {
    tipFor = point.unit.unit_id;
    const u = point.unit;
    fill(tip,
      h("strong", {}, u.name ?? u.unit_id), " ", gradeBadge(u.grade),
      h("div", { class: "small muted" }, `${t(`role.${u.role}`)} · ${u.unit_id}`),
      h("div", { class: "small" }, `${t("col.exposure")}: ${formatExposure(u.exposure)}`),
      h("div", { class: "small" }, `${t("funnel.observed")}: ${formatRate(String((point.faults / point.exposure) * 1e6))}`),
      h("div", { class: "small" }, `${t("col.posterior")}: ${formatRate(u.posterior_mean_per_million)} (${formatRate(u.interval_per_million[0])} – ${formatRate(u.interval_per_million[1])})`),
      h("button", { type: "button", class: "secondary small-button", onclick: () => onSelect?.(u) }, t("funnel.open")),
    );
    tip.hidden = false;
    const box = svg.getBoundingClientRect();
    const scale = box.width / W;
    tip.style.left = `${Math.min(cx * scale + 12, box.width - 240)}px`;
    tip.style.top = `${Math.max(cy * scale - 10, 0)}px`;
  };
  const hideTip = () => {
    tip.hidden = true;
    tipFor = null;
  };
  let above = 0;
  for (const point of points) {
    const cx = x(point.exposure);
    const cy = y(point.rate);
    if (point.rate > controlLimit(0.999, theta, point.exposure)) above += 1;
    const sufficient = point.unit.grade !== "insufficient_data";
    const dot = s("circle", { cx, cy, r: 6, class: `point${sufficient ? "" : " hollow"}`,
      fill: sufficient ? gradeColour(point.unit.grade) : "#ffffff", stroke: gradeColour(point.unit.grade),
      tabindex: 0, role: "button", dataset: { unit: point.unit.unit_id },
      "aria-label": `${point.unit.name ?? point.unit.unit_id} · ${t(`grade.${point.unit.grade}`)}` });
    dot.addEventListener("pointerenter", () => showTip(point, cx, cy));
    dot.addEventListener("focus", () => showTip(point, cx, cy));
    dot.addEventListener("click", (event) => {
      // A tap first shows the unit; a second tap (or the button) opens it.
      if (event.pointerType === "touch" && tipFor !== point.unit.unit_id) {
        showTip(point, cx, cy);
        return;
      }
      onSelect?.(point.unit);
    });
    dot.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") onSelect?.(point.unit);
    });
    svg.append(dot);
  }
  svg.addEventListener("pointerleave", (event) => {
    if (event.pointerType !== "touch") hideTip();
  });
  wrap.append(svg, tip);
  const legend = h("ul", { class: "legend small" },
    ["A", "B", "C", "D", "insufficient_data"].map((g) => h("li", {},
      h("span", { class: `swatch${g === "insufficient_data" ? " hollow" : ""}`, style: `--c: ${gradeColour(g)}` }),
      t(`grade.${g}`))),
    h("li", {}, h("span", { class: "line mean" }), t("funnel.legend.mean")),
    h("li", {}, h("span", { class: "line limit-95" }), t("funnel.legend.95")),
    h("li", {}, h("span", { class: "line limit-998" }), t("funnel.legend.998")));
  const caption = h("figcaption", { class: "small muted" },
    t("funnel.caption", {
      mean: formatNumber(theta * 1e6, theta * 1e6 < 1000 ? 1 : 0),
      count: points.length,
      above,
      exposure: formatExposure(String(totalExposure)),
    }),
    " ",
    t(mode === "posterior" ? "funnel.caption.posterior" : "funnel.caption.observed"));
  return h("figure", { class: "chart funnel-figure" }, wrap, legend, caption);
}
