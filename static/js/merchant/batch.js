// Batch listing and QR labels: number a batch of one product, sign each unit's listing on this
// device, submit them in chunks (POST /events/batch, each event accepted or refused on its own),
// verify every receipt here, then print the batch's Digital Link labels (GET /codes/labels).

import { payload } from "../console/events.js";
import { alertBox, badge, fill, h } from "../console/page.js";
import { checkReceipt } from "../console/receipt.js";
import { ApiError, api, problemMessage } from "../core/api.js";
import { checkGtin, checkSerial, itemSubject } from "../core/gs1_keys.js";
import { t } from "../core/i18n.js";
import { signEnvelope } from "../core/keys.js";

const CHUNK = 100;
const MAX = 500;

function field(form, name) {
  return form.elements[name].value.trim();
}

/** The serials of the batch: prefix + numbers from `from`, zero-padded to its width. */
export function batchSerials(prefix, from, count) {
  if (!/^\d{1,12}$/.test(from)) throw Object.assign(new Error("from"), { messageKey: "merchant.batch.bad_from" });
  if (!(Number.isInteger(count) && count >= 1 && count <= MAX)) {
    throw Object.assign(new Error("count"), { messageKey: "merchant.batch.bad_count" });
  }
  const width = from.length;
  const first = Number(from);
  if (String(first + count - 1).length > width) {
    throw Object.assign(new Error("width"), { messageKey: "merchant.batch.too_wide", params: { from, count, width } });
  }
  return Array.from({ length: count }, (_, i) => checkSerial(prefix + String(first + i).padStart(width, "0")));
}

/** Why a unit was not listed; a fork on a first listing means the serial is already recorded. */
function refusal(error) {
  return error.code === "fork" ? t("merchant.batch.exists") : problemMessage(error);
}

function labelsUrl(gtin, name, prefix, from, count, serials) {
  const query = new URLSearchParams({ gtin, name });
  if (prefix) query.set("serials", serials.join(","));
  else {
    query.set("serial_from", from);
    query.set("count", String(count));
  }
  return `/codes/labels?${query}`;
}

/** Wire the batch card. `ctx` gives identity() and item() (to prefill the product). */
export function mountBatch(section, ctx) {
  const form = section.querySelector("#batch-form");
  const progress = section.querySelector("#batch-progress");
  const progressText = section.querySelector("#batch-progress-text");
  const bar = progress.querySelector(".progress");
  const result = section.querySelector("#batch-result");
  const alert = alertBox(section.querySelector("#batch-problem"));
  let outcome = null;

  function plan() {
    const gtin = checkGtin(field(form, "gtin"));
    const prefix = field(form, "prefix");
    const from = field(form, "serial_from");
    const count = Number(field(form, "count"));
    const serials = batchSerials(prefix, from, count);
    return { gtin, prefix, from, count, serials, url: labelsUrl(gtin, field(form, "name"), prefix, from, count, serials) };
  }

  function step(key, done, total) {
    progress.hidden = false;
    progress.classList.remove("done");
    progressText.textContent = t(key, { done, total });
    const percent = total ? Math.round((done / total) * 100) : 0;
    bar.setAttribute("aria-valuenow", String(percent));
    bar.firstElementChild.style.width = `${percent}%`;
  }

  section.querySelector("#batch-labels").addEventListener("click", () => {
    alert.clear();
    try {
      window.open(plan().url, "_blank", "noopener");
    } catch (error) {
      alert.error(error);
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    alert.clear();
    result.hidden = true;
    let batch;
    try {
      batch = plan();
      if (!field(form, "platform")) throw Object.assign(new Error("platform"), { messageKey: "merchant.batch.need_platform" });
      if (!/^\d{1,12}(\.\d{1,2})?$/.test(field(form, "price"))) throw Object.assign(new Error("price"), { messageKey: "merchant.batch.need_price" });
    } catch (error) {
      alert.error(error);
      return;
    }
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    try {
      await run(batch);
    } catch (error) {
      alert.error(error);
    } finally {
      for (const button of form.querySelectorAll("button")) button.disabled = false;
    }
  });

  async function run(batch) {
    const identity = ctx.identity();
    const total = batch.serials.length;
    const envelopes = [];
    for (const serial of batch.serials) {
      const body = payload("listing", itemSubject(batch.gtin, serial), null, {
        platform: field(form, "platform"),
        listing_ref: `L-${serial}`,
        price: { amount: field(form, "price"), currency: "CNY" },
      });
      envelopes.push(await signEnvelope(body, [identity]));
      if (envelopes.length % 10 === 0 || envelopes.length === total) step("merchant.batch.signing", envelopes.length, total);
    }
    const results = [];
    for (let at = 0; at < total; at += CHUNK) {
      step("merchant.batch.submitting", at, total);
      const answer = await api.post("/events/batch", { events: envelopes.slice(at, at + CHUNK) });
      results.push(...answer.results);
    }
    step("merchant.batch.submitting", total, total);
    const rows = [];
    let verified = 0;
    for (let i = 0; i < total; i++) {
      const r = results[i];
      const row = { serial: batch.serials[i], receipt: r.receipt ?? null, error: r.receipt ? null : new ApiError(r.status, r.problem) };
      if (row.receipt) {
        row.verified = (await checkReceipt(row.receipt, envelopes[i])).ok;
        if (row.verified) verified++;
      }
      rows.push(row);
      if (i % 10 === 9 || i === total - 1) step("merchant.batch.verifying", i + 1, total);
    }
    outcome = { rows, verified, url: batch.url };
    render();
  }

  function render() {
    if (!outcome) return;
    const accepted = outcome.rows.filter((r) => r.receipt).length;
    progress.classList.add("done");
    progressText.textContent = t("merchant.batch.done", { accepted, rejected: outcome.rows.length - accepted, verified: outcome.verified });
    result.hidden = false;
    fill(result,
      h("p", {}, h("a", { class: "button", href: outcome.url, target: "_blank", rel: "noopener" }, t("merchant.batch.labels"))),
      h("div", { class: "table-wrap batch-table" }, h("table", {},
        h("thead", {}, h("tr", {}, h("th", {}, t("merchant.batch.serial")), h("th", {}, t("merchant.batch.result")), h("th", { class: "num" }, t("merchant.batch.index")))),
        h("tbody", {}, outcome.rows.map((row) => h("tr", {},
          h("td", { class: "mono" }, row.serial),
          h("td", {}, row.receipt
            ? [badge("ok", t("merchant.batch.accepted")), " ", badge(row.verified ? "ok" : "bad", t(row.verified ? "merchant.batch.verified" : "merchant.batch.unverified"))]
            : h("span", { class: "refused" }, refusal(row.error), h("span", { class: "mono small" }, ` ${row.error.code}`))),
          h("td", { class: "num mono" }, row.receipt ? String(row.receipt.index) : "—"),
        ))),
      )),
    );
  }

  // The product's registered name goes on its labels unless the merchant writes another.
  form.elements.gtin.addEventListener("change", async () => {
    let gtin;
    try {
      gtin = checkGtin(field(form, "gtin"));
    } catch {
      return;
    }
    const product = await api.get(`/products/${gtin}`).catch(() => null);
    if (product && !field(form, "name")) form.elements.name.value = product.name;
  });

  document.addEventListener("languagechange", render);
  return {
    /** Prefill the product of the scanned item (its GTIN and name), unless already typed. */
    offer(item) {
      if (!item) return;
      if (!field(form, "gtin")) form.elements.gtin.value = item.gtin;
      if (!field(form, "name") && item.product) form.elements.name.value = item.product.name;
      const listing = item.timeline?.events?.find((e) => e.type === "listing")?.payload;
      if (listing && !field(form, "price")) form.elements.price.value = listing.price?.amount ?? "";
    },
  };
}
