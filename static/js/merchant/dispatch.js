// Dispatch (配送/揽收): sold items packed into a parcel (SSCC or waybill) for a courier company.
// The merchant signs here; the pickup courier countersigns on their own phone (countersign.js);
// the recipient's data travels beside the envelope to the service and never into the payload,
// which carries a salted commitment to it (trace_service/lifecycle/personal_data.py).

import {
  ExchangeError,
  decodeAnswer,
  encodeRequest,
  payloadDigest,
  qrSvg,
  verifyPartySignature,
} from "../console/countersign.js";
import { payload, rfc3339, submitEnvelope } from "../console/events.js";
import { alertBox, fill, h, remembered } from "../console/page.js";
import { mountScanPanel } from "../console/scanpanel.js";
import { api } from "../core/api.js";
import { b64encode, canonicalize, concatBytes, hex, sha256, utf8 } from "../core/crypto.js";
import { formatTime, t } from "../core/i18n.js";
import { identitiesOfKind, signEnvelope } from "../core/keys.js";

const SKEW_MS = 5 * 60 * 1000; // the service's default CLOCK_SKEW_SECONDS
const OTHER = "__other__";

/** Personal data as the service takes it, and the salted commitment the payload carries. */
export async function recipientData(fields) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const commitment = hex(await sha256(concatBytes(salt, utf8(canonicalize(fields)))));
  return { personal: { salt: b64encode(salt), recipient: fields }, commitment };
}

function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * Wire the dispatch form. `ctx` gives identity(), party() (the merchant's public record),
 * item(), alert and recorded({receipt, envelope, signers, items}).
 */
export function mountDispatch(form, ctx) {
  const items = [];
  let parcel = null;
  let pending = null; // {payload, merchantSignature, personal, digest}
  const list = form.querySelector("#dispatch-items");
  const courierSelect = form.elements.courier;
  const courierId = form.elements.courier_id;
  const courierNote = form.querySelector("#dispatch-courier-note");
  const panel = form.querySelector("#countersign");
  let couriers = [];

  const courier = () => (courierSelect.value === OTHER ? courierId.value.trim() : courierSelect.value) || null;

  const parcelScan = mountScanPanel(form.querySelector("#dispatch-parcel-scan"), {
    name: "parcel",
    typedFirst: true,
    expect: "parcel",
    courier,
    labelKey: "merchant.dispatch.parcel_label",
    placeholderKey: "merchant.dispatch.parcel_placeholder",
    onResult: (result) => {
      parcel = result.subject;
    },
  });

  function renderItems() {
    list.replaceChildren(
      ...(items.length
        ? items.map((subject) =>
            h("li", { class: "chip" }, h("span", { class: "mono" }, subject),
              h("button", { type: "button", class: "chip-remove", "aria-label": `${t("merchant.dispatch.remove")} ${subject}`,
                onclick: () => (items.splice(items.indexOf(subject), 1), renderItems()) }, "×")))
        : [h("li", { class: "empty small" }, t("merchant.dispatch.no_items"))]),
    );
  }

  function renderCouriers() {
    const chosen = courierSelect.value || remembered.get("merchant.courier");
    courierSelect.replaceChildren(
      ...couriers.map((c) => h("option", { value: c.unit_id }, c.name)),
      h("option", { value: OTHER }, t("merchant.dispatch.courier_other")),
    );
    if (chosen && [...courierSelect.options].some((o) => o.value === chosen)) courierSelect.value = chosen;
    describeCourier();
  }

  function describeCourier() {
    courierId.hidden = courierSelect.value !== OTHER;
    courierId.required = !courierId.hidden;
    const unit = couriers.find((c) => c.unit_id === courierSelect.value);
    courierNote.replaceChildren();
    if (!unit) return;
    const grade = unit.grade === "insufficient_data" ? t("merchant.dispatch.grade_insufficient") : unit.grade;
    courierNote.append(t("merchant.dispatch.courier_grade", { grade }));
    if (unit.black_listed) courierNote.append(" ", h("span", { class: "badge bad" }, t("merchant.dispatch.courier_black")));
  }

  courierSelect.addEventListener("change", () => {
    remembered.set("merchant.courier", courierSelect.value);
    describeCourier();
  });

  async function loadCouriers() {
    try {
      couriers = (await api.get("/ratings?role=company")).units ?? [];
    } catch {
      couriers = []; // no published ratings yet: the party id is typed
    }
    renderCouriers();
  }

  form.querySelector("#dispatch-add").addEventListener("click", () => {
    const item = ctx.item();
    if (item && !items.includes(item.subject)) items.push(item.subject);
    renderItems();
  });

  function reset() {
    items.length = 0;
    parcel = null;
    pending = null;
    parcelScan.clear();
    panel.hidden = true;
    panel.replaceChildren();
    for (const name of ["name", "phone", "address", "declared_weight_g", "destination_city"]) form.elements[name].value = "";
    prefillDefaults();
    renderItems();
  }

  function prefillDefaults() {
    const promised = form.elements.promised_by;
    if (!promised.value) promised.value = localInputValue(new Date(Date.now() + 3 * 86400_000));
    const city = ctx.party()?.city;
    if (city && !form.elements.origin_city.value) form.elements.origin_city.value = city;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    ctx.alert.clear();
    if (!items.length) return ctx.alert.message("merchant.dispatch.need_items");
    if (!courier()) return ctx.alert.message("merchant.dispatch.need_courier");
    if (!parcel && parcelScan.value()) parcelScan.enter(parcelScan.value()); // typed, not confirmed
    if (!parcel) return ctx.alert.message("merchant.dispatch.need_parcel");
    try {
      await prepare();
    } catch (error) {
      ctx.alert.error(error);
    }
  });

  /** Build the payload with the recipient's commitment, sign it here, show the request. */
  async function prepare() {
    // A parcel code is used once: say so now rather than after both have signed.
    const used = await api.get(`/epcis/parcels/${parcel}`).then(() => true, () => false);
    if (used) return ctx.alert.message("merchant.dispatch.parcel_used", { subject: parcel });
    const value = (name) => form.elements[name].value.trim();
    const { personal, commitment } = await recipientData({
      name: value("name"),
      phone: value("phone"),
      address: value("address"),
    });
    const body = payload("dispatch", parcel, null, {
      items: [...items],
      courier: courier(),
      declared_weight_g: Number(value("declared_weight_g")),
      promised_by: rfc3339(new Date(value("promised_by"))),
      origin_city: value("origin_city"),
      destination_city: value("destination_city"),
      recipient_commitment: commitment,
    });
    const signed = await signEnvelope(body, [ctx.identity()]);
    pending = { payload: body, merchantSignature: signed.signatures[0], personal, digest: await payloadDigest(body) };
    await renderCountersign();
  }

  async function renderCountersign() {
    const current = pending;
    const request = encodeRequest(current.payload, current.merchantSignature, ctx.identity().party_id);
    const problem = h("div", { class: "problem", role: "alert", hidden: true });
    const alert = alertBox(problem);
    const status = h("p", { class: "muted small", role: "status" });
    const requestText = h("textarea", { class: "mono small", rows: 3, readonly: true, "data-testid": "cosign-request", "aria-label": t("merchant.cosign.copy") }, request);
    const copy = h("button", { type: "button", class: "secondary small-button", onclick: async () => {
      await navigator.clipboard?.writeText(request).catch(() => {});
      requestText.select();
      copy.textContent = t("merchant.cosign.copied");
    } }, t("merchant.cosign.copy"));
    const answerRoot = h("div", { class: "compact-scan" });
    const local = await localStaff(current.payload.courier);
    fill(panel,
      h("h3", {}, t("merchant.cosign.title")),
      h("p", { class: "muted small" }, t("merchant.cosign.explain")),
      h("p", {}, t("merchant.cosign.step1")),
      h("div", { class: "qr-box" }, await qrSvg(request, 300).catch(() => h("span", {}, ""))),
      h("p", { class: "fingerprint" }, t("merchant.cosign.fingerprint"), " ", h("span", { class: "mono" }, current.digest)),
      h("p", { class: "muted small" }, t("merchant.cosign.deadline", { time: formatTime(new Date(Date.parse(current.payload.time) + SKEW_MS).toISOString()) })),
      requestText,
      copy,
      h("p", {}, t("merchant.cosign.step2")),
      answerRoot,
      local.length
        ? h("div", { class: "demo-cosign" }, local.map((staff) => [
            h("p", { class: "muted small" }, t("merchant.cosign.local", { name: staff.name })),
            h("button", { type: "button", class: "secondary", onclick: () => signLocally(staff, alert, status) }, t("merchant.cosign.local_sign", { name: staff.name })),
          ]))
        : null,
      status,
      problem,
    );
    panel.hidden = false;
    mountScanPanel(answerRoot, {
      name: "cosign",
      typedFirst: true,
      raw: true,
      labelKey: "merchant.cosign.answer_label",
      placeholderKey: "merchant.cosign.answer_placeholder",
      onResult: (text) => acceptAnswer(text, alert, status),
    });
    panel.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  /** Staff keys of this courier company held in this browser (a demo on one machine). */
  async function localStaff(courierParty) {
    const held = await identitiesOfKind("staff");
    const found = [];
    for (const staff of held) {
      const party = await api.get(`/parties/${encodeURIComponent(staff.party_id)}`).catch(() => null);
      if (party?.company_id === courierParty) found.push(staff);
    }
    return found;
  }

  async function signLocally(staff, alert, status) {
    const signed = await signEnvelope(pending.payload, [staff]);
    await complete({ ...signed.signatures[0], party_id: staff.party_id, digest: pending.digest }, alert, status);
  }

  async function acceptAnswer(text, alert, status) {
    try {
      await complete(decodeAnswer(text), alert, status);
    } catch (error) {
      alert.error(error);
    }
  }

  /** Check the courier's signature, then submit the envelope with both and the recipient. */
  async function complete(answer, alert, status) {
    alert.clear();
    const current = pending;
    if (!current) return;
    try {
      if (answer.digest !== current.digest) throw new ExchangeError("cosign.digest_mismatch");
      if (Date.now() > Date.parse(current.payload.time) + SKEW_MS) throw new ExchangeError("cosign.expired");
      status.textContent = t("merchant.cosign.checking");
      const staff = await verifyPartySignature(answer.party_id, answer.keyid, answer.sig, current.payload);
      if (staff.kind !== "staff") throw new ExchangeError("cosign.not_staff");
      if (staff.company_id !== current.payload.courier) throw new ExchangeError("cosign.wrong_company");
      const signatures = [current.merchantSignature, { keyid: answer.keyid, sig: answer.sig }]
        .sort((a, b) => (a.keyid < b.keyid ? -1 : 1));
      const envelope = { payload: current.payload, signatures };
      const receipt = await submitEnvelope(envelope, current.personal);
      status.textContent = t("merchant.cosign.signed_by", { name: staff.name });
      const merchant = ctx.identity().name ?? ctx.identity().party_id;
      reset();
      await ctx.recorded({ receipt, envelope, signers: [merchant, staff.name], items: current.payload.items });
    } catch (error) {
      status.textContent = "";
      alert.error(error);
    }
  }

  document.addEventListener("languagechange", () => {
    renderItems();
    renderCouriers();
    if (pending && !panel.hidden) renderCountersign();
  });
  renderItems();
  loadCouriers();
  return {
    /** The scanned item changed: a sold item not yet packed is offered for this parcel. */
    offer(item) {
      prefillDefaults();
      if (item?.status === "sold" && item.owned && !items.includes(item.subject)) items.push(item.subject);
      renderItems();
    },
  };
}
