// The consumer verification page: the target of every item's QR code (GS1 Digital Link).
// It fetches the item's public timeline (the same URI as JSON), checks every record itself,
// and shows the verdict, the product, who stands behind it and the signed route.
// `document.body.dataset.ready` turns "true" once the page has settled (checks finished).

import "./messages.js";
import { ApiError, api, problemMessage } from "../core/api.js";
import { ed25519Supported } from "../core/crypto.js";
import { initLanguage, t } from "../core/i18n.js";
import { BuyerPanel } from "./buyer.js";
import { el } from "./element.js";
import { mountLanguageSwitch } from "./language.js";
import {
  PartyDirectory,
  courierCompanies,
  creditCard,
  loadCredit,
  merchantCard,
  productCard,
} from "./parties.js";
import { itemStatus, stepsOf, timelineCard } from "./timeline.js";
import { verdictView } from "./verdict.js";
import { verifyTimeline } from "./verify.js";

// Problem codes that mean "no such item" (an unknown or malformed code), not "try again".
const NOT_FOUND = new Set([
  "unknown_subject",
  "unknown_product",
  "invalid_subject",
  "invalid_gtin",
  "invalid_serial",
  "invalid_lot",
  "http_404",
  "not_found",
]);

const state = {
  phase: "loading", // loading, checking, verified, failed, unsupported, missing
  timeline: null,
  report: null,
  progress: null,
  credit: null,
  error: null,
  checkedAt: null,
};
const directory = new PartyDirectory();
const openSteps = new Set();
const $ = (id) => document.getElementById(id);

function setReady(ready) {
  document.body.dataset.ready = String(ready);
}

function jsonPath() {
  return `${location.pathname}?format=application/json`;
}

function renderVerdict() {
  const box = $("verdict");
  box.dataset.verdict = state.phase;
  box.replaceChildren(...verdictView(state));
}

function scannedPath() {
  try {
    return decodeURIComponent(location.pathname);
  } catch {
    return location.pathname; // a malformed percent-escape: show it as it came
  }
}

function renderMissing() {
  const error = state.error;
  const notFound = error instanceof ApiError && NOT_FOUND.has(error.code);
  const box = $("missing");
  box.dataset.state = notFound ? "notfound" : "error";
  box.replaceChildren(
    el("div", { class: "missing-icon", "aria-hidden": "true" }, notFound ? "?" : "!"),
    el("h1", {}, t(notFound ? "notfound.title" : "error.title")),
    el("p", { class: "missing-message" }, problemMessage(error)),
    notFound ? el("p", { class: "muted" }, t("notfound.body")) : null,
    el("p", { class: "small muted" }, t("notfound.code"), el("code", {}, scannedPath())),
    el(
      "p",
      { class: "row-actions" },
      notFound ? null : el("button", { type: "button", id: "retry" }, t("error.retry")),
      el("a", { class: "button secondary", href: "/" }, t("home.link")),
    ),
  );
  $("retry")?.addEventListener("click", () => load());
}

function render() {
  const missing = state.phase === "missing";
  $("missing").hidden = !missing;
  $("verdict").hidden = missing;
  $("content").hidden = missing || !state.timeline;
  if (missing) {
    renderMissing();
    return;
  }
  renderVerdict();
  const { timeline, report } = state;
  if (!timeline) return;
  document.title = `${timeline.product?.name ?? ""} · ${t("app.title")}`;
  $("product").replaceChildren(productCard(timeline, itemStatus(timeline, report)));
  $("route").replaceChildren(timelineCard(timeline, report, directory, openSteps));
  $("merchant").replaceChildren(merchantCard(timeline.merchant) ?? "");
  $("credit").replaceChildren(creditCard(state.credit, directory));
}

function partyIds(timeline) {
  const ids = [];
  for (const event of timeline.events ?? []) {
    const p = event.payload ?? {};
    ids.push(p.platform, p.from, p.courier);
    for (const s of event.signers ?? []) ids.push(s.company_id);
  }
  return ids.filter(Boolean);
}

const buyer = new BuyerPanel($("buyer"), { onRecorded: () => load() });

async function load() {
  setReady(false);
  state.error = null;
  state.report = null;
  state.progress = null;
  state.phase = state.timeline ? "checking" : "loading";
  render();
  let timeline;
  try {
    timeline = await api.get(jsonPath());
  } catch (error) {
    state.phase = "missing";
    state.error = error;
    state.timeline = null;
    render();
    setReady(true);
    return;
  }
  state.timeline = timeline;
  state.phase = "checking";
  state.progress = { done: 0, total: timeline.events?.length ?? 0 };
  const companies = courierCompanies(timeline);
  const parties = directory.load([...partyIds(timeline), ...companies]).then(render);
  const credit = loadCredit(companies).then((entries) => {
    state.credit = entries;
  });
  render();
  if (!(await ed25519Supported())) {
    state.phase = "unsupported";
  } else {
    try {
      state.report = await verifyTimeline(timeline, (done, total) => {
        state.progress = { done, total };
        renderVerdict();
      });
      state.phase = state.report.ok ? "verified" : "failed";
    } catch (error) {
      state.phase = "failed";
      state.error = error;
    }
  }
  state.checkedAt = new Date().toISOString();
  await Promise.all([parties, credit]);
  render();
  await buyer.update(timeline, stepsOf(timeline, state.report));
  setReady(true);
}

document.addEventListener("toggle", (event) => {
  const index = event.target?.dataset?.how;
  if (index === undefined) return;
  if (event.target.open) openSteps.add(Number(index));
  else openSteps.delete(Number(index));
}, true);

document.addEventListener("languagechange", () => {
  render();
  buyer.render();
});

initLanguage();
mountLanguageSwitch($("language"));
load();
