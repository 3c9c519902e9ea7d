// Party names for reading: records name parties by id; the public registration record gives
// the name and kind. Looked up once per page and shared by every view.

import { api } from "../core/api.js";
import { t } from "../core/i18n.js";
import { h } from "./dom.js";

const known = new Map();

/** Remember what a listing already told us (ratings carry unit names). */
export function remember(id, name, kind) {
  if (id && !known.has(id)) known.set(id, Promise.resolve({ id, name, kind }));
}

export function lookup(id) {
  if (!known.has(id)) {
    known.set(id, api.get(`/parties/${encodeURIComponent(id)}`).catch(() => ({ id, name: null })));
  }
  return known.get(id);
}

/** Look up every id (ignoring empties) so the next render can name them synchronously. */
export async function prefetch(ids) {
  const wanted = [...new Set(ids.filter(Boolean))];
  const found = await Promise.all(wanted.map(lookup));
  for (const party of found) resolved.set(party.id, party);
}

const resolved = new Map();

/** "name (id)" if known, else the id; as an element with the id in its title. */
export function partyLabel(id) {
  if (!id) return h("span", { class: "muted" }, "—");
  const party = resolved.get(id);
  if (id === "trace-service") return h("span", { title: id }, t("party.service"));
  if (!party?.name) return h("code", {}, id);
  return h("span", { class: "party", title: id }, party.name, " ", h("code", { class: "muted" }, id));
}

export function partyName(id) {
  if (id === "trace-service") return t("party.service");
  return resolved.get(id)?.name ?? id;
}

export function rememberResolved(id, name, kind) {
  resolved.set(id, { id, name, kind });
  remember(id, name, kind);
}
