// The item under the merchant's scanner: what its public record says (product, owner, where it
// stands, its chain head) before the merchant signs anything about it.

import { headOf, itemStatus, itemTimeline } from "../console/events.js";
import { alertBox, badge, fact, fill, h } from "../console/page.js";
import { ApiError, api } from "../core/api.js";
import { t } from "../core/i18n.js";

const STATUS_BADGE = { new: "neutral", listed: "ok", sold: "warn", in_transit: "neutral", delivered: "neutral", received: "ok" };

/**
 * Mount the item state in `root`. load(scanResult) reads the item's public record;
 * current() is {subject, gtin, serial, lot, timeline, product, status, prev, owned} or null.
 * onChange(item) is called whenever it changes (null while loading or after an error).
 */
export function mountItem(root, { merchantId, onChange }) {
  let item = null;
  let loading = null;
  const problem = h("div", { class: "problem", role: "alert", hidden: true });
  const alert = alertBox(problem);
  const body = h("div", {});
  root.replaceChildren(body, problem);

  async function load(result) {
    alert.clear();
    item = null;
    loading = result;
    root.hidden = false;
    render();
    onChange(null);
    try {
      const [timeline, product] = await Promise.all([
        itemTimeline(result.subject),
        api.get(`/products/${result.gtin}`).catch((error) => {
          if (error instanceof ApiError && error.code === "unknown_product") return null;
          throw error;
        }),
      ]);
      if (loading !== result) return;
      loading = null;
      const ownerId = product?.merchant_id ?? timeline?.merchant?.id ?? null;
      item = {
        ...result,
        timeline,
        product,
        ownerId,
        ownerName: timeline?.merchant?.name ?? ownerId,
        status: itemStatus(timeline, result.subject),
        prev: headOf(timeline, result.subject),
        owned: ownerId !== null && ownerId === merchantId(),
      };
      render();
      if (!product) alert.error(new ApiError(404, { code: "unknown_product" }));
      else if (!item.owned) alert.message("merchant.item.not_yours", { merchant: item.ownerName });
      onChange(item);
    } catch (error) {
      if (loading !== result) return;
      loading = null;
      render();
      alert.error(error);
    }
  }

  function render() {
    if (loading) {
      body.replaceChildren(h("p", { class: "muted", role: "status" }, t("merchant.item.loading")));
      return;
    }
    if (!item) {
      body.replaceChildren();
      return;
    }
    const events = item.timeline?.events ?? [];
    fill(body,
      h(
        "div",
        { class: "item-head" },
        h("div", { class: "item-name" }, item.product?.name ?? item.gtin),
        badge(STATUS_BADGE[item.status], t(`merchant.item.status.${item.status}`)),
      ),
      h("p", { class: "mono small subject" }, item.subject),
      h(
        "dl",
        { class: "facts compact" },
        fact("merchant.item.gtin", item.gtin, { mono: true }),
        item.serial ? fact("merchant.item.serial", item.serial, { mono: true }) : null,
        item.lot ? fact("merchant.item.lot", item.lot, { mono: true }) : null,
        item.ownerName ? fact("merchant.item.merchant", item.ownerName) : null,
        fact("merchant.item.events", String(events.filter((e) => e.subject === item.subject).length)),
      ),
      item.timeline
        ? h("p", {}, item.timeline.verified
            ? badge("ok", t("merchant.item.verified"))
            : badge("bad", t("merchant.item.unverified")))
        : null,
      h(
        "p",
        { class: "links-inline" },
        item.timeline ? h("a", { href: `/${item.subject}`, target: "_blank", rel: "noopener" }, t("merchant.item.consumer")) : null,
        h("a", { href: `/codes/qr/${item.subject}.png`, target: "_blank", rel: "noopener" }, t("merchant.item.qr")),
      ),
    );
  }

  document.addEventListener("languagechange", render);
  return {
    load,
    refresh: () => (item ? load(item) : undefined),
    current: () => item,
  };
}
