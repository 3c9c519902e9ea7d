// The verdict at the top of the page: reading, checking (with progress), verified, or not
// verified with the reasons, each naming the step that failed and why.

import { problemMessage } from "../core/api.js";
import { formatTime, t } from "../core/i18n.js";
import { el } from "./element.js";

const ICONS = { verified: "✓", failed: "✗", unsupported: "!" };

function head(phase, title) {
  const mark = ICONS[phase]
    ? el("span", { class: "verdict-icon" }, ICONS[phase])
    : el("span", { class: "spinner", "aria-hidden": "true" });
  return el("div", { class: "verdict-head" }, mark, el("h2", { "data-verdict-title": "" }, title));
}

function progressBar(done, total) {
  const width = total ? Math.round((100 * done) / total) : 5;
  return el(
    "div",
    { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": total, "aria-valuenow": done },
    el("span", { style: `width: ${width}%` }),
  );
}

function reasonText(reason, report) {
  if (reason.kind === "checkpoint") return t("verdict.reason.checkpoint");
  if (reason.kind === "empty") return t("verdict.reason.empty");
  const r = reason.result;
  const type = r.payload?.type ?? r.server.type;
  return t("verdict.reason.event", {
    step: report.events.indexOf(r) + 1,
    type: t(`type.${type}`),
    reason: r.reasons.map((x) => t(`reason.${x}`)).join(t("list.sep")),
  });
}

/** The verdict's content for the page state {phase, report, progress, error, checkedAt}. */
export function verdictView({ phase, report, progress, error, checkedAt }) {
  const parts = [];
  if (phase === "loading") {
    parts.push(head(phase, t("verdict.loading")), progressBar(0, 0));
  } else if (phase === "checking") {
    const { done = 0, total = 0 } = progress ?? {};
    const text = total ? t("verdict.progress", { done, total }) : t("verdict.checking");
    parts.push(head(phase, text), progressBar(done, total));
  } else if (phase === "verified") {
    const counts = { count: report.events.length, size: report.checkpoint.size };
    parts.push(head(phase, t("verdict.ok.title")), el("p", {}, t("verdict.ok.body", counts)));
  } else if (phase === "failed") {
    const reasons = (report?.reasons ?? []).map((r) => el("li", {}, reasonText(r, report)));
    if (error) reasons.push(el("li", {}, problemMessage(error)));
    parts.push(
      head(phase, t("verdict.bad.title")),
      el("p", {}, t("verdict.bad.body")),
      reasons.length ? el("ul", { class: "verdict-reasons" }, reasons) : null,
    );
  } else if (phase === "unsupported") {
    parts.push(head(phase, t("verdict.unsupported.title")), el("p", {}, t("verdict.unsupported.body")));
  }
  if (report?.disagreement) parts.push(el("p", { class: "small verdict-note" }, t("verdict.discrepancy")));
  if (checkedAt && (phase === "verified" || phase === "failed")) {
    const time = formatTime(checkedAt);
    parts.push(el("p", { class: "small verdict-time" }, t("verdict.checkedAt", { time })));
  }
  return parts.filter(Boolean);
}
