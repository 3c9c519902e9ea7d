// The regulator dashboard (监管部门工作台): ratings and their funnel plot, the lists, objections
// awaiting review, the method; and the drill-down from a grade to its explanation, a complaint's
// case, the events it rests on and their log proof. Routes live in the URL hash so the browser's
// back button walks back up the drill-down.

import { api } from "../core/api.js";
import { initLanguage, languageSwitch, register, t } from "../core/i18n.js";
import { KeyFileError } from "../core/keys.js";
import { renderCase } from "./case.js";
import { fill, h, problemBox } from "./dom.js";
import { renderEvent } from "./event.js";
import { createListsView } from "./lists.js";
import { MESSAGES } from "./messages.js";
import { renderMethod } from "./method.js";
import { createObjectionsView } from "./objections.js";
import { createRatingsView } from "./ratings.js";
import * as session from "./session.js";
import { renderUnit } from "./unit.js";

register(MESSAGES);

const $ = (id) => document.getElementById(id);
const TABS = ["ratings", "lists", "objections", "method"];
let method = null;
const trail = []; // the drill-down path: [{route, title}]
let lastTab = "ratings"; // where the drill-down started

function parseRoute() {
  const raw = decodeURIComponent(location.hash.replace(/^#/, "")) || "ratings";
  const [path, query = ""] = raw.split("?");
  const [view, ...rest] = path.split("/");
  return { raw, view, id: rest.join("/"), params: new URLSearchParams(query) };
}

export function go(route) {
  location.hash = route;
}

function openUnit(unit, snapshot) {
  go(`unit/${unit.unit_id}${snapshot !== undefined && snapshot !== null ? `?snapshot=${snapshot}` : ""}`);
}

function chooseKeyFile() {
  document.querySelector("input[data-key-import]")?.click();
}

const views = {};

function renderWho() {
  const who = $("who");
  const identity = session.identity();
  if (identity) {
    fill(who,
      h("span", { class: "who-name", dataset: { signedIn: "true" } }, h("span", { class: "dot", "aria-hidden": "true" }), identity.name ?? identity.party_id),
      h("button", { type: "button", class: "topbar-button", id: "sign-out", onclick: () => session.signOut() }, t("signin.out")));
    return;
  }
  const input = h("input", { type: "file", accept: ".json,application/json", "data-key-import": "", class: "visually-hidden", id: "key-file" });
  input.addEventListener("change", async () => {
    const file = input.files?.[0];
    if (!file) return;
    const notice = $("notice");
    try {
      await session.signIn(file);
      fill(notice);
      notice.hidden = true;
    } catch (error) {
      notice.hidden = false;
      fill(notice, error instanceof KeyFileError
        ? h("div", { class: "problem", role: "alert" }, h("p", { class: "problem-message" }, t(error.messageKey)))
        : problemBox(error));
    }
    input.value = "";
  });
  fill(who, h("label", { class: "topbar-button", for: "key-file" }, t("signin.import")), input);
}

function showTab(name) {
  for (const tab of TABS) $(`view-${tab}`).hidden = tab !== name;
  $("view-drill").hidden = TABS.includes(name);
  for (const link of document.querySelectorAll("#tabs a")) {
    const active = link.dataset.tab === (TABS.includes(name) ? name : lastTab);
    if (active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function renderTrail(current) {
  const at = trail.findIndex((step) => step.route === current.route);
  if (at >= 0) trail.splice(at);
  trail.push(current);
  fill($("breadcrumb"),
    h("a", { href: `#${lastTab}` }, t(`tab.${lastTab}`)),
    ...trail.flatMap((step, i) => [h("span", { class: "sep", "aria-hidden": "true" }, "›"),
      i === trail.length - 1 ? h("span", { "aria-current": "location" }, step.title) : h("a", { href: `#${step.route}` }, step.title)]));
}

/** The case's parties: who may have signed what the drill-down opens next. */
let hints = [];

async function route() {
  const { raw, view, id, params } = parseRoute();
  if (TABS.includes(view)) {
    lastTab = view;
    trail.splice(0);
    showTab(view);
    if (view === "lists") await views.lists.load();
    if (view === "objections") await views.objections.load();
    if (view === "method") renderMethod($("view-method"), method);
    return;
  }
  showTab(view);
  const root = $("drill-body");
  window.scrollTo(0, 0);
  let result = null;
  if (view === "unit") {
    const snapshot = params.get("snapshot");
    result = await renderUnit(root, id, snapshot === null ? null : Number(snapshot));
    renderTrail({ route: raw, title: `${t("crumb.unit")} ${result?.title ?? id}` });
  } else if (view === "case") {
    result = await renderCase(root, id, { onSignIn: chooseKeyFile });
    hints = result?.parties ?? [];
    renderTrail({ route: raw, title: `${t("crumb.case")} ${id.slice(0, 8)}…` });
  } else if (view === "event") {
    result = await renderEvent(root, id, { hints });
    renderTrail({ route: raw, title: `${t("crumb.event")} ${result?.title ?? ""} ${id.slice(0, 8)}…` });
  } else {
    go("ratings");
  }
}

async function start() {
  initLanguage();
  fill($("lang"), languageSwitch());
  await session.restore();
  renderWho();
  views.ratings = createRatingsView($("view-ratings"), { open: openUnit, method: () => method });
  views.lists = createListsView($("view-lists"), { open: openUnit });
  views.objections = createObjectionsView($("view-objections"), { onSignIn: chooseKeyFile });
  method = await api.get("/ratings/method").catch(() => null);
  window.addEventListener("hashchange", route);
  document.addEventListener("signinchange", () => {
    renderWho();
    views.ratings.render();
    route();
  });
  document.addEventListener("languagechange", () => {
    renderWho();
    views.ratings.render();
    route();
  });
  document.addEventListener("datachange", () => views.ratings.load());
  const first = route();
  await views.ratings.load();
  await first;
  document.body.dataset.ready = "true";
}

start().catch((error) => {
  const notice = $("notice");
  notice.hidden = false;
  fill(notice, problemBox(error));
  document.body.dataset.ready = "true";
});
