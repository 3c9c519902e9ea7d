// Small SVG charts drawn here (no chart library is available or wanted): the table's trend
// sparkline and a unit's rate-and-interval trend over the published snapshots.

import { formatNumber, formatTime, t } from "../core/i18n.js";
import { formatRate } from "./decimal.js";
import { h, s } from "./dom.js";

export const GRADE_COLOUR = {
  A: "#17803d",
  B: "#2f6fb3",
  C: "#c27a00",
  D: "#b42318",
  insufficient_data: "#98a2b3",
};

export function gradeColour(grade) {
  return GRADE_COLOUR[grade] ?? GRADE_COLOUR.insufficient_data;
}

/** Round tick values covering [lo, hi]. */
export function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((m) => m >= raw) ?? 10 * power;
  const ticks = [];
  let v = Math.floor(lo / step) * step;
  ticks.push(v);
  while (v < hi - step * 1e-9) {
    v += step;
    ticks.push(Number(v.toPrecision(12)));
  }
  return ticks;
}

/** Short axis label (12k, 4.15M) with as many decimals as the tick step needs. */
export function axisNumber(value, step = value) {
  const abs = Math.max(Math.abs(value), Math.abs(step));
  const [unit, suffix] = abs >= 1e6 ? [1e6, "M"] : abs >= 1e4 ? [1e3, "k"] : [1, ""];
  const size = Math.abs(step || value) / unit;
  const digits = size > 0 ? Math.min(3, Math.max(0, -Math.floor(Math.log10(size) + 1e-9))) : 0;
  return `${formatNumber(value / unit, digits)}${suffix}`;
}

/** The grades of a history as text ("C → B → A"): the sparkline's words and its CSV cell. */
export function trendText(history) {
  return history.map((point) => (point.grade in GRADE_COLOUR && point.grade !== "insufficient_data"
    ? point.grade : t("grade.short.insufficient_data"))).join(" → ");
}

/** A 100×28 sparkline of the posterior rate, points coloured by grade; the current snapshot ringed. */
export function sparkline(history, currentSnapshot) {
  const width = 100;
  const height = 28;
  const values = history.map((p) => Number(p.posterior_mean_per_million));
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const x = (i) => (history.length === 1 ? width / 2 : 4 + (i * (width - 8)) / (history.length - 1));
  const y = (v) => (hi === lo ? height / 2 : height - 4 - ((v - lo) * (height - 8)) / (hi - lo));
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "sparkline",
    role: "img", "aria-label": t("trend.aria", { grades: trendText(history) }) });
  if (history.length > 1) {
    svg.append(s("polyline", { points: values.map((v, i) => `${x(i)},${y(v)}`).join(" "),
      fill: "none", stroke: "#7a8796", "stroke-width": 1.5 }));
  }
  history.forEach((point, i) => {
    const current = point.snapshot === currentSnapshot;
    svg.append(s("circle", { cx: x(i), cy: y(values[i]), r: current ? 3.6 : 2.6,
      fill: gradeColour(point.grade), stroke: current ? "#17212b" : "none", "stroke-width": 1.2 },
      s("title", {}, `${formatTime(point.as_of)} · ${t(`grade.${point.grade}`)} · ${formatRate(point.posterior_mean_per_million)}`)));
  });
  return svg;
}

/** A drawing width that keeps labels legible on a phone (the SVG scales to its box). */
export function chartWidth(preferred) {
  return Math.round(Math.max(340, Math.min(preferred, (window.innerWidth || preferred) - 40)));
}

/** yyyy-mm-dd in China Standard Time: unambiguous in both languages. */
function isoDate(time) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit",
    day: "2-digit", timeZone: "Asia/Shanghai" }).formatToParts(time).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** A unit's posterior rate with its 90% interval band over the snapshots, grades marked. */
export function trendChart(history, currentSnapshot) {
  const W = chartWidth(640);
  const H = 240;
  const m = { left: 64, right: 40, top: 16, bottom: 40 };
  const times = history.map((p) => Date.parse(p.as_of));
  const lows = history.map((p) => Number(p.interval_per_million[0]));
  const highs = history.map((p) => Number(p.interval_per_million[1]));
  const means = history.map((p) => Number(p.posterior_mean_per_million));
  const ticks = niceTicks(Math.min(...lows), Math.max(...highs), 4);
  const [y0, y1] = [ticks[0], ticks[ticks.length - 1]];
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  const x = (time) => (t1 === t0 ? (m.left + W - m.right) / 2
    : m.left + ((time - t0) * (W - m.left - m.right)) / (t1 - t0));
  const y = (v) => m.top + ((y1 - v) * (H - m.top - m.bottom)) / (y1 - y0 || 1);
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "trend-chart", role: "img",
    "aria-label": t("trend.chart.aria", { count: history.length }) });
  for (const tick of ticks) {
    svg.append(s("line", { x1: m.left, x2: W - m.right, y1: y(tick), y2: y(tick), class: "grid" }),
      s("text", { x: m.left - 6, y: y(tick) + 4, "text-anchor": "end", class: "axis" }, axisNumber(tick, ticks[1] - ticks[0])));
  }
  svg.append(s("text", { x: 12, y: m.top + (H - m.top - m.bottom) / 2, class: "axis-title",
    transform: `rotate(-90 12 ${m.top + (H - m.top - m.bottom) / 2})`, "text-anchor": "middle" },
  t("trend.axis.rate")));
  if (history.length > 1) {
    const band = [...history.map((_, i) => `${x(times[i])},${y(highs[i])}`),
      ...history.map((_, i) => `${x(times[i])},${y(lows[i])}`).reverse()].join(" ");
    svg.append(s("polygon", { points: band, class: "band" }),
      s("polyline", { points: history.map((_, i) => `${x(times[i])},${y(means[i])}`).join(" "), class: "mean" }));
  }
  const labelEvery = Math.max(1, Math.ceil(history.length / 6));
  history.forEach((point, i) => {
    const cx = x(times[i]);
    svg.append(s("line", { x1: cx, x2: cx, y1: y(highs[i]), y2: y(lows[i]), class: "whisker" }));
    svg.append(s("circle", { cx, cy: y(means[i]), r: point.snapshot === currentSnapshot ? 6 : 4.5,
      fill: gradeColour(point.grade), class: point.snapshot === currentSnapshot ? "current" : "" },
    s("title", {}, `${formatTime(point.as_of)}\n${t(`grade.${point.grade}`)}\n${t("trend.posterior")} ${formatRate(point.posterior_mean_per_million)}\n90%: ${formatRate(point.interval_per_million[0])} – ${formatRate(point.interval_per_million[1])}`)));
    if (i % labelEvery === 0 || i === history.length - 1) {
      svg.append(s("text", { x: cx, y: H - m.bottom + 18, "text-anchor": "middle", class: "axis" },
        isoDate(times[i])));
    }
  });
  return h("figure", { class: "chart" }, svg,
    h("figcaption", { class: "small muted" }, t("trend.caption")));
}
