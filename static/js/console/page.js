// The shell shared by the scan pages (merchant console and courier view): the brand and the
// language switch in the top bar, the translated title, and a small element builder so that no
// page writes HTML from strings (every text goes in as text, never as markup).

import { ApiError, showProblem } from "../core/api.js";
import { initLanguage, languageSwitch, register, t } from "../core/i18n.js";
import { KeyFileError } from "../core/keys.js";
import { ScanError, scanErrorMessage } from "../core/scan_error.js";

register({
  "zh-CN": { "console.brand": "商品溯源", "list.join": "、" },
  en: { "console.brand": "Product trace", "list.join": ", " },
});

/** Names joined as a list in the chosen language ("甲、乙" / "A, B"). */
export function joinNames(names) {
  return names.filter(Boolean).join(t("list.join"));
}

/**
 * h("p", {class: "muted", dataset: {x: 1}, onclick: fn}, "text", child) → an element.
 * Strings become text nodes; null/false children are skipped; "on…" attributes add listeners.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name === "class") {
      element.className = value;
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replace an element's children, skipping null/false ones (optional parts of a view). */
export function fill(element, ...children) {
  element.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

/** A definition-list row: a label and a value (text or element). */
export function fact(labelKey, value, { mono = false } = {}) {
  return h(
    "div",
    { class: "fact" },
    h("dt", {}, t(labelKey)),
    h("dd", { class: mono ? "mono" : null }, value ?? "—"),
  );
}

export function badge(kind, text) {
  return h("span", { class: `badge ${kind}` }, text);
}

/** Start a page: language from the device, its switch in the top bar, the translated title. */
export function startPage(titleKey, rerender) {
  initLanguage();
  document.title = t(titleKey);
  document.getElementById("lang")?.replaceChildren(languageSwitch());
  document.addEventListener("languagechange", () => {
    document.title = t(titleKey);
    rerender?.();
  });
}

/** Show a plain message (not an API problem) in an alert element. */
export function showMessage(element, text, kind = "bad") {
  element.hidden = false;
  element.className = kind === "bad" ? "problem" : `alert ${kind}`;
  element.setAttribute("role", kind === "bad" ? "alert" : "status");
  element.replaceChildren(h("p", { class: "problem-message" }, text));
}

export function clear(element) {
  element.hidden = true;
  element.replaceChildren();
}

/**
 * An alert area that says what went wrong (or right) in the chosen language, and says it again
 * when the language changes: API problems in words with their code, scan and key-file faults,
 * and page messages by i18n key.
 */
export function alertBox(element) {
  let shown = null;
  const render = () => {
    if (shown === null) return clear(element);
    const { error, key, params, kind } = shown;
    if (error instanceof ApiError) {
      element.className = "problem";
      element.setAttribute("role", "alert");
      showProblem(element, error);
    } else if (error instanceof ScanError) {
      showMessage(element, scanErrorMessage(error));
    } else if (error instanceof KeyFileError || typeof error?.messageKey === "string") {
      showMessage(element, t(error.messageKey, error.params ?? {}));
    } else if (error) {
      showMessage(element, t("problem.unexpected", { detail: String(error?.message ?? error) }));
    } else {
      showMessage(element, t(key, params), kind);
    }
  };
  document.addEventListener("languagechange", render);
  return {
    error(error) {
      shown = { error };
      render();
    },
    message(key, params = {}, kind = "bad") {
      shown = { key, params, kind };
      render();
    },
    clear() {
      shown = null;
      render();
    },
  };
}

/** Remember small per-page choices (the active key id, the last platform) on this device. */
export const remembered = {
  get(key) {
    return localStorage.getItem(`trace_service.${key}`);
  },
  set(key, value) {
    if (value === null || value === undefined) localStorage.removeItem(`trace_service.${key}`);
    else localStorage.setItem(`trace_service.${key}`, value);
  },
};
