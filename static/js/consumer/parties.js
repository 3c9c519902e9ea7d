// Who stands behind the item: the product's registration, the merchant's real-name record and
// the published credit standing of the courier companies that carried it. Only public
// endpoints are read (/parties/<id>, /ratings/units/<id>, /admission/<id>).

import { api } from "../core/api.js";
import { formatTime, t } from "../core/i18n.js";
import { el, field } from "./element.js";

/** Public party records by id, fetched once each; a missing party stays null. */
export class PartyDirectory {
  constructor() {
    this.parties = new Map();
  }

  async load(ids) {
    const wanted = [...new Set(ids)].filter((id) => id && !this.parties.has(id));
    await Promise.all(
      wanted.map(async (id) => {
        this.parties.set(id, await api.get(`/parties/${encodeURIComponent(id)}`).catch(() => null));
      }),
    );
  }

  get(id) {
    return this.parties.get(id) ?? null;
  }

  name(id) {
    return this.get(id)?.name ?? id ?? "";
  }
}

/** The companies that carried the item: named by dispatches and by their staff's signatures. */
export function courierCompanies(timeline) {
  const ids = [];
  for (const event of timeline.events ?? []) {
    if (event.type === "dispatch" && event.payload?.courier) ids.push(event.payload.courier);
    for (const signer of event.signers ?? []) {
      if (["staff", "outlet"].includes(signer.role) && signer.company_id) ids.push(signer.company_id);
      if (signer.role === "courier_company" && signer.party_id) ids.push(signer.party_id);
    }
  }
  return [...new Set(ids)];
}

/** Each company's published rating and platform admission (either may be missing). */
export async function loadCredit(companyIds) {
  return Promise.all(
    companyIds.map(async (id) => {
      const [rating, admission] = await Promise.all([
        api.get(`/ratings/units/${encodeURIComponent(id)}`).catch(() => null),
        api.get(`/admission/${encodeURIComponent(id)}`).catch(() => null),
      ]);
      return { id, rating, admission };
    }),
  );
}

function subjectParts(subject) {
  const parts = subject.split("/");
  const out = {};
  for (let i = 0; i + 1 < parts.length; i += 2) out[parts[i]] = parts[i + 1];
  return out;
}

function statusBadges(status) {
  const complaints = t("status.complaints", { n: status.complaints });
  return el(
    "p",
    { class: "badges" },
    el("span", { class: `item-status status-${status.kind}`, "data-item-status": status.kind }, status.text),
    status.complaints ? el("span", { class: "item-status status-complaint" }, complaints) : null,
  );
}

export function productCard(timeline, status) {
  const product = timeline.product ?? {};
  const ids = subjectParts(timeline.subject ?? "");
  const licences = (product.licences ?? []).map((l) =>
    el(
      "li",
      {},
      el("span", { class: "licence-kind" }, l.kind ?? ""),
      el("span", { class: "mono licence-number" }, l.number ?? ""),
    ),
  );
  return el(
    "section",
    { class: "card product", "aria-labelledby": "product-name" },
    el("p", { class: "eyebrow" }, t("product.heading")),
    el("h1", { id: "product-name" }, product.name ?? ""),
    status ? statusBadges(status) : null,
    el(
      "dl",
      { class: "facts" },
      field(t("product.gtin"), el("span", { class: "mono" }, product.gtin ?? ids["01"])),
      field(t("product.serial"), ids["21"] ? el("span", { class: "mono" }, ids["21"]) : null),
      field(t("product.lot"), ids["10"] ? el("span", { class: "mono" }, ids["10"]) : null),
      field(t("product.origin"), product.origin),
      field(t("product.producer"), product.producer),
      field(t("product.licences"), licences.length ? el("ul", { class: "plain" }, licences) : null),
    ),
  );
}

function statusText(status) {
  const key = `party.status.${status}`;
  const text = t(key);
  return text === key ? status : text;
}

function partyFacts(party) {
  return el(
    "dl",
    { class: "facts" },
    field(t("party.uscc"), party.uscc ? el("span", { class: "mono" }, party.uscc) : null),
    field(t("party.city"), party.city),
    field(
      t("party.status"),
      el("span", { class: `badge ${party.status === "active" ? "ok" : "warn"}` }, statusText(party.status)),
    ),
  );
}

export function merchantCard(merchant) {
  if (!merchant) return null;
  return el(
    "section",
    { class: "card merchant", "data-merchant": merchant.id },
    el("h2", {}, t("merchant.heading")),
    el(
      "p",
      { class: "party-name" },
      el("strong", {}, merchant.name),
      " ",
      el("span", { class: "badge neutral" }, t("party.verifiedName")),
    ),
    partyFacts(merchant),
    el("p", { class: "muted small" }, t("merchant.note")),
  );
}

const GRADE_TONE = { A: "ok", B: "ok", C: "warn", D: "bad", insufficient_data: "neutral" };

function courierEntry(entry, directory) {
  const party = directory.get(entry.id) ?? { id: entry.id, name: entry.rating?.name ?? entry.id };
  const rating = entry.rating;
  const grade = rating?.latest?.grade;
  const badges = [];
  if (grade) {
    const tone = GRADE_TONE[grade] ?? "neutral";
    badges.push(el("span", { class: `badge grade ${tone}`, "data-grade": grade }, t(`grade.${grade}`)));
  } else {
    badges.push(el("span", { class: "badge neutral", "data-grade": "none" }, t("couriers.unrated")));
  }
  if (rating?.latest?.red_list) badges.push(el("span", { class: "badge ok" }, t("couriers.redList")));
  if (rating?.black_listed) badges.push(el("span", { class: "badge bad" }, t("couriers.blackList")));
  if (entry.admission) {
    badges.push(
      el(
        "span",
        { class: `badge ${entry.admission.admitted ? "ok" : "bad"}` },
        t(entry.admission.admitted ? "couriers.admitted" : "couriers.restricted"),
      ),
    );
  }
  const snapshot = rating?.snapshot;
  return el(
    "li",
    { class: "courier", "data-courier": entry.id },
    el("p", { class: "party-name" }, el("strong", {}, party.name)),
    el("p", { class: "badges" }, badges),
    party.uscc || party.status ? partyFacts(party) : null,
    snapshot
      ? el(
          "p",
          { class: "muted small" },
          t("couriers.method", {
            version: rating.method_version ?? snapshot.method_version,
            date: formatTime(snapshot.as_of),
            index: snapshot.index,
          }),
        )
      : null,
  );
}

export function creditCard(credit, directory) {
  const body = [];
  if (credit === null) body.push(el("p", { class: "muted" }, t("couriers.loading")));
  else if (credit.length === 0) body.push(el("p", { class: "muted" }, t("couriers.none")));
  else {
    const entries = credit.map((entry) => courierEntry(entry, directory));
    body.push(el("ul", { class: "plain couriers" }, entries));
  }
  return el(
    "section",
    { class: "card credit" },
    el("h2", {}, t("couriers.heading")),
    body,
    credit?.length ? el("p", { class: "note small" }, t("couriers.meaning")) : null,
  );
}
