// Building the dashboard's DOM without inline handlers (the CSP forbids them): small element
// factories, badges, progress bars and the problem box every view uses.

import { showProblem } from "../core/api.js";
import { t } from "../core/i18n.js";

const SVG_NS = "http://www.w3.org/2000/svg";

function apply(el, props) {
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") el.setAttribute("class", value);
    else if (name === "text") el.textContent = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "style") el.setAttribute("style", value);
    else if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else el.setAttribute(name, value === true ? "" : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replace an element's children, skipping null/undefined/false ones and flattening arrays. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** An HTML element: h("td", {class: "num"}, "12"). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  apply(el, props);
  append(el, children);
  return el;
}

/** An SVG element, attributes as given. */
export function s(tag, props = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, props);
  append(el, children);
  return el;
}

/** A hash shortened for reading, the whole of it in the title and for copying. */
export function shortHash(hash, size = 10) {
  if (!hash) return h("span", { class: "muted" }, "—");
  return h("code", { class: "hash", title: hash }, `${hash.slice(0, size)}…`);
}

/** An in-page link to a dashboard route (#unit/…, #case/…, #event/…). */
export function routeLink(route, ...children) {
  return h("a", { href: `#${route}` }, ...children);
}

export const GRADE_CLASS = { A: "grade-a", B: "grade-b", C: "grade-c", D: "grade-d" };

/** A grade as a coloured badge ("insufficient_data" in words). */
export function gradeBadge(grade) {
  const cls = GRADE_CLASS[grade] ?? "grade-none";
  return h("span", { class: `badge grade ${cls}`, dataset: { grade } }, t(`grade.${grade}`));
}

/** An indeterminate or counted progress bar with a label, inside `holder`. */
export function progress(holder, label) {
  const bar = h("span", { style: "width: 0%" });
  const text = h("span", { class: "progress-label small muted" }, label);
  const box = h("div", { class: "progress-box", role: "status", "aria-live": "polite" },
    text, h("div", { class: "progress" }, bar));
  const wasHidden = holder.hidden;
  fill(holder, box);
  holder.hidden = false;
  return {
    set(done, total, message) {
      const share = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 100;
      bar.style.width = `${share}%`;
      if (message !== undefined) text.textContent = message;
    },
    busy(message) {
      box.classList.add("indeterminate");
      if (message !== undefined) text.textContent = message;
    },
    done() {
      box.remove();
      if (wasHidden && !holder.childElementCount) holder.hidden = true;
    },
  };
}

/** A problem box (role="alert") holding the error in words; returns it for placement. */
export function problemBox(error) {
  const box = h("div", { class: "problem", role: "alert" });
  showProblem(box, error);
  return box;
}

/** An explained empty state. */
export function emptyState(messageKey, params) {
  return h("p", { class: "empty muted" }, t(messageKey, params));
}

/** A definition list from [labelKey, value] pairs (values may be nodes). */
export function facts(pairs) {
  return h("dl", { class: "facts" },
    pairs.filter(([, value]) => value !== undefined && value !== null && value !== "")
      .map(([key, value]) => [h("dt", {}, t(key)), h("dd", {}, value)]));
}

/** A ✓ / ✗ mark with its words. */
export function checkMark(ok, okKey, badKey, params) {
  return h("span", { class: `check ${ok ? "check-ok" : "check-bad"}` },
    `${ok ? "✓" : "✗"} ${t(ok ? okKey : badKey, params)}`);
}
