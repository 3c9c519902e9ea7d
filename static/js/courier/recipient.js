// The recipient's personal data, for the courier holding the parcel: read with the staff
// credential (GET /parcels/<parcel>/recipient), shown on this screen only, never stored. The
// service logs every read (who, when, which parcel, why) and refuses anyone else.

import { alertBox, fact, fill, h } from "../console/page.js";
import { api } from "../core/api.js";
import { t } from "../core/i18n.js";

const SHOWN_FOR_MS = 2 * 60 * 1000;

/** Wire the recipient card; `ctx` gives identity() and parcel() (the scanned subject). */
export function mountRecipient(section, ctx) {
  const data = section.querySelector("#recipient-data");
  const purpose = section.querySelector("#recipient-purpose");
  const button = section.querySelector("#recipient-read");
  const alert = alertBox(section.querySelector("#recipient-problem"));
  let shown = null;
  let hideTimer = null;

  function render() {
    if (!shown) return fill(data);
    fill(
      data,
      h("div", { class: "recipient-data", "data-testid": "recipient-data" },
        h("dl", { class: "facts" },
          fact("courier.recipient.name", shown.recipient.name),
          fact("courier.recipient.phone", shown.recipient.phone),
          fact("courier.recipient.address", shown.recipient.address)),
        h("p", { class: "muted small" }, t("courier.recipient.logged")),
        h("button", { type: "button", class: "secondary small-button", onclick: hide }, t("courier.recipient.hide"))),
    );
  }

  function hide() {
    clearTimeout(hideTimer);
    shown = null;
    render();
  }

  button.addEventListener("click", async () => {
    alert.clear();
    hide();
    const parcel = ctx.parcel();
    if (!parcel) return;
    button.disabled = true;
    try {
      // The purpose is logged as its stable code, readable whatever the reader's language.
      shown = await api.get(`/parcels/${parcel}/recipient?purpose=${encodeURIComponent(purpose.value)}`, {
        credential: ctx.identity().credential,
      });
      render();
      // Personal data stays on screen only as long as it is needed.
      hideTimer = setTimeout(hide, SHOWN_FOR_MS);
    } catch (error) {
      alert.error(error);
    } finally {
      button.disabled = false;
    }
  });

  document.addEventListener("languagechange", render);
  return {
    reset() {
      alert.clear();
      hide();
    },
  };
}
