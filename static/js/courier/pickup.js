// Pickup countersignature (揽收会签) on the courier's phone: scan the merchant's request,
// check who signed it and what it says (items, weight, cities, this courier's company), sign
// it with the staff key held here and show the countersignature for the merchant to scan.
// The request carries no personal data; the merchant submits the dispatch with the recipient.

import {
  ExchangeError,
  decodeRequest,
  encodeAnswer,
  payloadDigest,
  qrSvg,
  verifyPartySignature,
} from "../console/countersign.js";
import { alertBox, badge, fact, fill, h } from "../console/page.js";
import { mountScanPanel } from "../console/scanpanel.js";
import { formatTime, t } from "../core/i18n.js";
import { signEnvelope } from "../core/keys.js";

const SKEW_MS = 5 * 60 * 1000;

/** Mount the pickup step in `root`; `ctx` gives identity() and party() (the staff record). */
export function mountPickup(root, ctx) {
  const scanRoot = h("div", { class: "compact-scan" });
  const view = h("div", { "aria-live": "polite" });
  const problem = h("div", { class: "problem", role: "alert", hidden: true });
  const alert = alertBox(problem);
  let request = null; // {payload, signature, merchant, merchantParty, digest}
  let answer = null;

  fill(root, h("p", { class: "muted small", "data-i18n": "courier.pickup.hint" }, t("courier.pickup.hint")), scanRoot, view, problem);
  mountScanPanel(scanRoot, {
    name: "request",
    typedFirst: true,
    raw: true,
    labelKey: "courier.pickup.request_label",
    placeholderKey: "courier.pickup.request_placeholder",
    onResult: (text) => open(text),
  });

  async function open(text) {
    alert.clear();
    request = null;
    answer = null;
    render();
    try {
      const data = decodeRequest(text);
      const merchantParty = await verifyPartySignature(data.merchant, data.signature.keyid, data.signature.sig, data.payload);
      if (merchantParty.kind !== "merchant") throw new ExchangeError("cosign.unknown_key");
      request = { ...data, merchantParty, digest: await payloadDigest(data.payload) };
      render();
    } catch (error) {
      alert.error(error);
    }
  }

  async function countersign() {
    alert.clear();
    try {
      if (Date.now() > Date.parse(request.payload.time) + SKEW_MS) throw new ExchangeError("cosign.expired");
      const me = ctx.identity();
      const signed = await signEnvelope(request.payload, [me]);
      const { keyid, sig } = signed.signatures[0];
      answer = encodeAnswer({ keyid, sig, party_id: me.party_id, digest: request.digest });
      await render();
    } catch (error) {
      alert.error(error);
    }
  }

  async function render() {
    if (!request) return fill(view);
    const p = request.payload;
    const ours = p.courier === ctx.party()?.company_id;
    const deadline = formatTime(new Date(Date.parse(p.time) + SKEW_MS).toISOString());
    fill(
      view,
      h("h3", {}, t("courier.pickup.check")),
      h("dl", { class: "facts" },
        fact("courier.pickup.merchant", h("span", {}, request.merchantParty.name, " ", badge("ok", t("courier.pickup.merchant_signed")))),
        fact("courier.pickup.parcel", p.subject, { mono: true }),
        fact("courier.pickup.items", h("ul", { class: "plain-list" }, p.items.map((item) => h("li", { class: "mono small" }, item)))),
        fact("courier.pickup.weight", `${p.declared_weight_g} g`),
        fact("courier.pickup.cities", `${p.origin_city} → ${p.destination_city}`),
        fact("courier.pickup.promised", formatTime(p.promised_by)),
        fact("courier.pickup.fingerprint", request.digest, { mono: true }),
      ),
      ours ? null : h("p", { class: "problem" }, t("cosign.wrong_company")),
      answer
        ? h("div", { class: "answer" },
            h("p", {}, t("courier.pickup.show")),
            h("div", { class: "qr-box" }, await qrSvg(answer, 280).catch(() => h("span", {}))),
            h("p", { class: "fingerprint" }, h("span", { class: "mono" }, request.digest)),
            h("textarea", { class: "mono small", rows: 3, readonly: true, "data-testid": "cosign-answer", "aria-label": t("courier.pickup.answer") }, answer),
            h("p", { class: "muted small" }, t("courier.pickup.after")))
        : h("div", {},
            h("p", { class: "muted small" }, t("courier.pickup.deadline", { time: deadline })),
            h("button", { type: "button", class: "primary-action", disabled: !ours, onclick: countersign }, t("courier.pickup.sign"))),
    );
  }

  document.addEventListener("languagechange", render);
  return { reset: () => ((request = null), (answer = null), alert.clear(), render()) };
}
