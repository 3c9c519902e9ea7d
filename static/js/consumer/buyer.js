// The buyer's own actions on the item: confirm receipt (签收), review (评价), complain (投诉).
// The buyer is recognised by the device key named in the sale (its public key is the sale's
// `buyer_key`); events are signed in the browser with that non-extractable key and submitted to
// POST /events, and the receipt the log returns is checked here before it is shown.

import { ApiError, api, showProblem } from "../core/api.js";
import { verifyReceipt } from "../core/evidence.js";
import { t } from "../core/i18n.js";
import {
  KeyFileError,
  forgetIdentity,
  identityFromKeyFile,
  listIdentities,
  saveIdentity,
  signEnvelope,
} from "../core/keys.js";
import { el } from "./element.js";

function nowRfc3339() {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

function payloadOf(step) {
  return step.payload ?? step.server?.payload ?? {};
}

/** What the item's records say the buyer may do next, and the chain heads to build on. */
export function buyerContext(timeline, steps) {
  const subject = timeline.subject;
  const saleKeys = steps
    .map(payloadOf)
    .filter((p) => p.type === "sale" && p.subject === subject && typeof p.buyer_key === "string")
    .map((p) => p.buyer_key);
  const dispatches = steps
    .map(payloadOf)
    .filter((p) => p.type === "dispatch" && Array.isArray(p.items) && p.items.includes(subject));
  const parcel = dispatches.length ? dispatches[dispatches.length - 1].subject : null;
  const heads = new Map();
  for (const s of steps) heads.set(payloadOf(s).subject ?? s.server.subject, s.hash ?? s.server.hash);
  const signedBy = (type, on) =>
    steps
      .filter((s) => payloadOf(s).type === type && payloadOf(s).subject === on)
      .flatMap((s) => (s.signatures?.length ? s.signatures : s.server.signers ?? []).map((x) => x.keyid));
  return {
    subject,
    saleKeys,
    parcel,
    heads,
    delivered: steps.some((s) => payloadOf(s).type === "delivery" && payloadOf(s).subject === parcel),
    receivedBy: parcel ? signedBy("receipt", parcel) : [],
    reviewedBy: signedBy("review", subject),
  };
}

/** Pick the buyer key for this item from a key file: one identity, or {name: identity, …}. */
export function buyerEntry(data, saleKeys) {
  if (data && typeof data.private_key === "string") return data;
  if (data && typeof data === "object") {
    return Object.values(data).find((entry) => entry && saleKeys.includes(entry.public_key)) ?? null;
  }
  return null;
}

export class BuyerPanel {
  constructor(root, { onRecorded }) {
    this.root = root;
    this.onRecorded = onRecorded;
    this.context = null;
    this.identity = null;
    this.$ = (id) => root.querySelector(`#${id}`);
    this.$("buyer-key-file").addEventListener("change", (event) => this.importFile(event.target));
    this.$("buyer-forget").addEventListener("click", () => this.forget());
    this.wireForm("receipt-form", (form) => ({
      type: "receipt",
      subject: this.context.parcel,
      condition: form.elements.condition.value,
      ...(form.elements.note.value.trim() ? { note: form.elements.note.value.trim() } : {}),
    }));
    this.wireForm("review-form", (form) => ({
      type: "review",
      subject: this.context.subject,
      score: Number(form.elements.score.value),
      text: this.required(form.elements.text, "buyer.text"),
    }));
    this.wireForm("complaint-form", (form) => ({
      type: "complaint",
      subject: this.context.subject,
      category: form.elements.category.value,
      description: this.required(form.elements.description, "buyer.description"),
    }));
  }

  required(input, labelKey) {
    const value = input.value.trim();
    if (!value) {
      input.focus();
      throw new Error(t("buyer.required", { field: t(labelKey) }));
    }
    return value;
  }

  /** Show the panel for this item: the buyer's actions, or the way to bring the buyer key. */
  async update(timeline, steps) {
    this.context = buyerContext(timeline, steps);
    if (this.context.saleKeys.length === 0) {
      this.root.hidden = true;
      return;
    }
    const identities = await listIdentities().catch(() => []);
    this.identity = identities.find((i) => this.context.saleKeys.includes(i.public_key)) ?? null;
    this.root.hidden = false;
    this.render();
  }

  render() {
    if (!this.context) return;
    const mine = Boolean(this.identity);
    this.$("buyer-claim").hidden = mine;
    this.$("buyer-actions").hidden = !mine;
    this.root.dataset.buyer = mine ? "recognised" : "unknown";
    if (!mine) return;
    const { keyid } = this.identity;
    const ctx = this.context;
    this.$("buyer-key-line").textContent = t("buyer.keyLine", { keyid });
    const received = ctx.receivedBy.includes(keyid);
    const canReceive = Boolean(ctx.parcel) && ctx.delivered && ctx.receivedBy.length === 0;
    this.$("receipt-form").hidden = !canReceive;
    this.$("receipt-state").textContent = received
      ? t("buyer.receipt.done")
      : canReceive
        ? t("buyer.receipt.help")
        : t("buyer.receipt.notYet");
    this.$("action-receipt").dataset.state = received ? "done" : canReceive ? "open" : "waiting";
    const reviewed = ctx.reviewedBy.includes(keyid);
    this.$("review-form").hidden = !received || reviewed;
    this.$("review-state").textContent = reviewed
      ? t("buyer.review.done")
      : received
        ? t("buyer.review.help")
        : t("buyer.review.locked");
    this.$("action-review").dataset.state = reviewed ? "done" : received ? "open" : "waiting";
  }

  async importFile(input) {
    const problem = this.$("buyer-import-problem");
    problem.hidden = true;
    const file = input.files?.[0];
    if (!file) return;
    try {
      let data;
      try {
        data = JSON.parse(await file.text());
      } catch {
        throw new KeyFileError("keys.file.not_json");
      }
      const entry = buyerEntry(data, this.context.saleKeys);
      if (!entry) throw new Error(t("buyer.noMatch"));
      const identity = await identityFromKeyFile({ ...entry, kind: "buyer" });
      if (!this.context.saleKeys.includes(identity.public_key)) throw new Error(t("buyer.noMatch"));
      this.identity = await saveIdentity(identity);
      this.showResult([el("p", {}, t("buyer.imported", { keyid: identity.keyid }))], "ok");
      this.render();
    } catch (error) {
      problem.hidden = false;
      problem.textContent = error instanceof KeyFileError ? t(error.messageKey) : error.message;
    } finally {
      input.value = "";
    }
  }

  async forget() {
    if (!this.identity) return;
    await forgetIdentity(this.identity.keyid);
    this.identity = null;
    this.$("buyer-result").hidden = true;
    this.render();
  }

  wireForm(id, build) {
    const form = this.$(id);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      const problem = form.querySelector(".problem");
      problem.hidden = true;
      let fields;
      try {
        fields = build(form);
      } catch (error) {
        problem.hidden = false;
        problem.textContent = error.message;
        return;
      }
      button.disabled = true;
      const label = button.textContent;
      button.textContent = t("buyer.signing");
      try {
        await this.submit(fields);
        form.reset();
      } catch (error) {
        if (error instanceof ApiError) showProblem(problem, error);
        else {
          problem.hidden = false;
          problem.textContent = t("problem.unexpected", { detail: error.message });
        }
      } finally {
        button.disabled = false;
        button.textContent = label;
      }
    });
  }

  /** Sign the event with the buyer key, submit it, check the receipt, refresh the page. */
  async submit(fields) {
    const payload = {
      v: 1,
      ...fields,
      prev: this.context.heads.get(fields.subject) ?? null,
      time: nowRfc3339(),
    };
    const envelope = await signEnvelope(payload, [this.identity]);
    const receipt = await api.post("/events", envelope);
    const checked = await verifyReceipt(receipt, envelope);
    const steps = checked.steps.map((s) =>
      el(
        "li",
        { "data-receipt-step": s.step, class: s.ok ? "ok-text" : "bad-text" },
        `${s.ok ? "✓" : "✗"} ${t(`buyer.receiptStep.${s.step}`, { size: checked.treeSize })}`,
      ),
    );
    this.showResult(
      [
        el("p", {}, el("strong", {}, t("buyer.accepted", { index: checked.index }))),
        el("ul", { class: "plain" }, steps),
        checked.ok ? null : el("p", {}, t("buyer.receiptBad")),
      ],
      checked.ok ? "ok" : "bad",
      checked.ok,
    );
    await this.onRecorded();
  }

  showResult(children, tone, verified = null) {
    const box = this.$("buyer-result");
    box.replaceChildren(...children.filter(Boolean));
    box.className = `alert ${tone}`;
    if (verified === null) delete box.dataset.receipt;
    else box.dataset.receipt = verified ? "verified" : "failed";
    box.hidden = false;
  }
}
