// A regulator's decision (复核决定 / 列入决定) as a signed `decision` event: composed here, signed
// in this browser with the regulator's non-extractable key (core/keys.js), posted to /events, and
// its receipt checked against the log (core/evidence.js) before the page says it was accepted.

import { api, ApiError } from "../core/api.js";
import { verifyReceipt } from "../core/evidence.js";
import { t } from "../core/i18n.js";
import { signEnvelope } from "../core/keys.js";
import { checkMark, fill, h, problemBox, progress } from "./dom.js";
import { identity } from "./session.js";

/** Now as the log writes times: RFC 3339 UTC, whole seconds. */
export function nowRfc3339() {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Sign and submit a decision on `subject` after `prev`. When another record got there first
 * (409 fork naming the chain's head), the same decision is signed once more on that head; the
 * rules then refuse it if what it decides is no longer pending.
 * Returns {receipt, envelope, verified}. Raises ApiError.
 */
export async function submitDecision({ subject, prev, on, outcome, reasons, shares }) {
  const signer = identity();
  if (!signer) throw new ApiError(401, { code: "unauthorized" });
  const payload = { v: 1, type: "decision", subject, prev, time: nowRfc3339(), on, outcome, reasons };
  if (shares?.length) payload.shares = shares;
  let envelope = await signEnvelope(payload, [signer]);
  let receipt;
  try {
    receipt = await api.post("/events", envelope);
  } catch (error) {
    const head = error instanceof ApiError && error.code === "fork" ? error.problem?.head : null;
    if (!head || head === prev) throw error;
    envelope = await signEnvelope({ ...payload, prev: head }, [signer]);
    receipt = await api.post("/events", envelope);
  }
  const verified = await verifyReceipt(receipt, envelope);
  return { receipt, envelope, verified };
}

/** The receipt's checks in words: leaf, checkpoint signature, inclusion; and the log index. */
export function receiptView(receipt, verified) {
  return h("div", { class: `receipt ${verified.ok ? "alert ok" : "alert bad"}`, role: "status", dataset: { receipt: verified.ok ? "verified" : "failed" } },
    h("p", {}, h("strong", {}, t(verified.ok ? "decision.accepted" : "decision.receipt_bad", { index: receipt.index }))),
    h("ul", { class: "checks" }, verified.steps.map((step) => h("li", {},
      checkMark(step.ok, `receipt.step.${step.step}`, `receipt.step.${step.step}`)))),
    h("p", { class: "small" }, t("decision.hash"), " ", h("code", { class: "hash" }, receipt.hash)));
}

function sharesEditor() {
  const rows = h("div", { class: "shares-rows" });
  const addRow = (party = "", share = "1", role = "reassigned") => {
    const row = h("div", { class: "row share-row" },
      h("label", {}, h("span", {}, t("decision.share.party")), h("input", { name: "share-party", value: party, required: true, pattern: "[A-Za-z0-9_-]{1,32}" })),
      h("label", {}, h("span", {}, t("decision.share.value")), h("input", { name: "share-value", value: share, required: true, pattern: "0\\.\\d{1,6}|1(\\.0{1,6})?", inputmode: "decimal" })),
      h("label", {}, h("span", {}, t("decision.share.role")), h("input", { name: "share-role", value: role, required: true, maxlength: 40 })),
      h("button", { type: "button", class: "secondary small-button", onclick: () => row.remove() }, t("decision.share.remove")));
    rows.append(row);
  };
  addRow();
  const box = h("fieldset", { class: "shares", hidden: true, disabled: true },
    h("legend", {}, t("decision.shares.title")),
    h("p", { class: "small muted" }, t("decision.shares.help")), rows,
    h("button", { type: "button", class: "secondary small-button", onclick: () => addRow("", "0.5") }, t("decision.share.add")));
  const read = () => [...rows.querySelectorAll(".share-row")].map((row) => ({
    party: row.querySelector("[name=share-party]").value.trim(),
    share: row.querySelector("[name=share-value]").value.trim(),
    role: row.querySelector("[name=share-role]").value.trim(),
  }));
  return { box, read };
}

/**
 * A decision form. `outcomes` the allowed outcomes; `target` {subject, prev, on};
 * `reassign` whether a reversal may name new parties; `onDone()` after an accepted decision.
 */
export function decisionForm({ outcomes, target, reassign = false, onDone, titleKey = "decision.title" }) {
  const status = h("div", { class: "decision-status" });
  const shares = reassign ? sharesEditor() : null;
  const showShares = (on) => {
    shares.box.hidden = !on;
    shares.box.disabled = !on; // hidden fields take no part in the form's validation
  };
  const reassignToggle = reassign
    ? h("label", { class: "check-row", hidden: true }, h("input", { type: "checkbox", name: "reassign",
      onchange: (e) => showShares(e.target.checked) }), h("span", {}, t("decision.reassign")))
    : null;
  const choices = h("fieldset", { class: "outcomes" }, h("legend", {}, t("decision.outcome")),
    outcomes.map((outcome) => h("label", { class: "radio" },
      h("input", { type: "radio", name: "outcome", value: outcome, required: true,
        onchange: () => {
          if (!reassignToggle) return;
          reassignToggle.hidden = outcome !== "reversed";
          if (outcome !== "reversed") {
            reassignToggle.querySelector("input").checked = false;
            showShares(false);
          }
        } }),
      h("span", {}, h("strong", {}, t(`outcome.${outcome}`)), h("span", { class: "small muted" }, ` ${t(`outcome.${outcome}.help`)}`)))));
  const reasons = h("textarea", { name: "reasons", rows: 4, required: true, maxlength: 4000, placeholder: t("decision.reasons.placeholder") });
  const submit = h("button", { type: "submit" }, t("decision.submit"));
  const form = h("form", { class: "decision-form", dataset: { decision: target.on } },
    h("h3", {}, t(titleKey)),
    choices, reassignToggle, shares?.box,
    h("label", {}, h("span", {}, t("decision.reasons")), reasons),
    h("p", { class: "small muted" }, t("decision.signing_note")),
    h("div", { class: "row actions" }, submit), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const outcome = form.querySelector("input[name=outcome]:checked")?.value;
    const reassigning = reassign && outcome === "reversed" && form.querySelector("input[name=reassign]")?.checked;
    submit.disabled = true;
    const bar = progress(status, t("decision.signing"));
    bar.busy();
    try {
      const done = await submitDecision({ ...target, outcome, reasons: reasons.value.trim(),
        shares: reassigning ? shares.read() : null });
      fill(status, receiptView(done.receipt, done.verified));
      form.querySelectorAll("input, textarea, button").forEach((el) => { el.disabled = true; });
      await onDone?.(done);
    } catch (error) {
      fill(status, problemBox(error));
      submit.disabled = false;
    }
  });
  return form;
}
