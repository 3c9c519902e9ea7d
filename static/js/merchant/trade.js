// Listing (上架) and sale (销售) of the scanned item, signed with the merchant's key in the
// browser. A sale names the buyer's public key: made on the buyer's device (or, for a demo, on
// this one, kept in this browser so the consumer page here can later confirm receipt with it).

import { lastPayload, payload, signAndSubmit } from "../console/events.js";
import { b64decode } from "../core/crypto.js";
import { t } from "../core/i18n.js";
import { generateIdentity, saveIdentity } from "../core/keys.js";

const AMOUNT = /^\d{1,12}(\.\d{1,2})?$/;

function value(form, name) {
  return form.elements[name].value.trim();
}

function busy(form, on) {
  form.setAttribute("aria-busy", String(on));
  for (const button of form.querySelectorAll("button")) button.disabled = on;
}

/** A pasted buyer key, checked: base64 of exactly 32 bytes; raises with merchant.sale.bad_key. */
function pastedBuyerKey(text) {
  const cleaned = text.replace(/\s+/g, "");
  let raw;
  try {
    raw = b64decode(cleaned);
  } catch {
    raw = null;
  }
  if (!raw || raw.length !== 32) throw Object.assign(new Error("bad buyer key"), { messageKey: "merchant.sale.bad_key" });
  return cleaned;
}

/**
 * Wire the listing and sale forms. `ctx` gives identity(), item(), alert (an alertBox) and
 * recorded({receipt, envelope, items}) which shows the receipt and refreshes the item.
 */
export function mountTrade(listingForm, saleForm, ctx) {
  const buyerKey = saleForm.elements.buyer_key;
  for (const radio of saleForm.querySelectorAll("input[name=buyer_source]")) {
    radio.addEventListener("change", () => {
      buyerKey.hidden = saleForm.elements.buyer_source.value !== "paste";
      buyerKey.required = !buyerKey.hidden;
    });
  }

  async function record(form, build) {
    ctx.alert.clear();
    const item = ctx.item();
    if (!item) return;
    busy(form, true);
    try {
      const body = await build(item);
      const { receipt, envelope } = await signAndSubmit(body, [ctx.identity()]);
      await ctx.recorded({ receipt, envelope, items: [item.subject] });
    } catch (error) {
      ctx.alert.error(error);
    } finally {
      busy(form, false);
    }
  }

  listingForm.addEventListener("submit", (event) => {
    event.preventDefault();
    record(listingForm, (item) => {
      const fields = {
        platform: value(listingForm, "platform"),
        listing_ref: value(listingForm, "listing_ref"),
        price: { amount: value(listingForm, "price"), currency: "CNY" },
      };
      const commitment = value(listingForm, "commitment");
      if (commitment) fields.commitment = commitment;
      return payload("listing", item.subject, item.prev, fields);
    });
  });

  saleForm.addEventListener("submit", (event) => {
    event.preventDefault();
    record(saleForm, async (item) => {
      let key;
      if (saleForm.elements.buyer_source.value === "paste") {
        key = pastedBuyerKey(buyerKey.value);
      } else {
        const buyer = await saveIdentity(await generateIdentity("buyer"));
        ctx.note("merchant.sale.generated", { keyid: buyer.keyid });
        key = buyer.public_key;
      }
      return payload("sale", item.subject, item.prev, {
        platform: value(saleForm, "platform"),
        order_ref: value(saleForm, "order_ref"),
        price: { amount: value(saleForm, "price"), currency: "CNY" },
        buyer_key: key,
      });
    });
  });

  for (const input of [listingForm.elements.price, saleForm.elements.price]) {
    input.addEventListener("input", () => input.setCustomValidity(AMOUNT.test(input.value.trim()) ? "" : t("merchant.batch.need_price")));
  }

  return {
    /** Prefill from the item's record: the sale takes its listing's platform and price. */
    prefill(item) {
      const listing = lastPayload(item?.timeline, item?.subject, "listing");
      if (listing) {
        saleForm.elements.platform.value = listing.platform;
        saleForm.elements.price.value = listing.price?.amount ?? "";
        listingForm.elements.price.value = listing.price?.amount ?? "";
      }
      if (item?.serial) listingForm.elements.listing_ref.value = `L-${item.serial}`;
      saleForm.elements.order_ref.value = "";
      buyerKey.value = "";
    },
  };
}
