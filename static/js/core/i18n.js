// Chinese (zh-CN) first, English on request. Each page registers its own messages; the
// language choice is remembered on the device. Elements carry data-i18n="key" (text),
// data-i18n-placeholder, data-i18n-title or data-i18n-aria-label, and are filled by translate().

export const LANGUAGES = { "zh-CN": "中文", en: "English" };
const STORAGE_KEY = "trace_service.lang";
const catalogues = { "zh-CN": {}, en: {} };

export function register(messages) {
  for (const [lang, entries] of Object.entries(messages)) {
    Object.assign((catalogues[lang] ??= {}), entries);
  }
}

export function currentLanguage() {
  const params = new URLSearchParams(location.search);
  const asked = params.get("lang") ?? localStorage.getItem(STORAGE_KEY);
  if (asked && asked in LANGUAGES) return asked;
  return "zh-CN";
}

export function setLanguage(lang) {
  localStorage.setItem(STORAGE_KEY, lang);
  // A shared "?lang=" link chooses the first language only; the reader's own choice wins after.
  const url = new URL(location.href);
  if (url.searchParams.has("lang")) {
    url.searchParams.delete("lang");
    history.replaceState(history.state, "", url);
  }
  document.documentElement.lang = lang;
  translate(document);
  document.dispatchEvent(new CustomEvent("languagechange", { detail: { lang } }));
}

/** The message for `key` in the current language, with {name} placeholders filled. */
export function t(key, params = {}) {
  const lang = currentLanguage();
  const text = catalogues[lang]?.[key] ?? catalogues["zh-CN"]?.[key] ?? catalogues.en?.[key];
  if (text === undefined) return key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

export function has(key) {
  return key in (catalogues[currentLanguage()] ?? {}) || key in catalogues["zh-CN"];
}

const ATTRIBUTES = ["placeholder", "title", "aria-label"];

export function translate(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const attr of ATTRIBUTES) {
    const data = `data-i18n-${attr}`;
    for (const el of root.querySelectorAll(`[${data}]`)) el.setAttribute(attr, t(el.getAttribute(data)));
  }
}

/** A two-button language switch; pages put it in their header. */
export function languageSwitch() {
  const nav = document.createElement("div");
  nav.className = "lang-switch";
  nav.setAttribute("role", "group");
  for (const [lang, label] of Object.entries(LANGUAGES)) {
    const button = document.createElement("button");
    button.type = "button";
    button.lang = lang;
    button.textContent = label;
    button.dataset.lang = lang;
    button.setAttribute("aria-pressed", String(lang === currentLanguage()));
    button.addEventListener("click", () => {
      setLanguage(lang);
      for (const b of nav.querySelectorAll("button")) {
        b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
      }
    });
    nav.append(button);
  }
  return nav;
}

export function initLanguage() {
  document.documentElement.lang = currentLanguage();
  translate(document);
}

/** Dates and numbers in the reader's language. */
export function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(currentLanguage(), {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: "Asia/Shanghai",
  }).format(date);
}

export function formatNumber(value, digits = 0) {
  return new Intl.NumberFormat(currentLanguage(), {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  }).format(value);
}
