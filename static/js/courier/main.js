// The courier scan view (/courier), phone first: staff sign in with their key held in this
// browser, scan a parcel, see who holds it, and record a handoff (交接) or a delivery (投递)
// signed here — or countersign a merchant's dispatch at pickup (揽收会签).

import "./messages.js";
import { payload, signAndSubmit } from "../console/events.js";
import { alertBox, startPage } from "../console/page.js";
import { mountReceipt } from "../console/receipt.js";
import { mountScanPanel } from "../console/scanpanel.js";
import { mountSignIn } from "../console/signin.js";
import { api } from "../core/api.js";
import { t } from "../core/i18n.js";
import { loadParcel, renderParcel } from "./parcel.js";
import { mountPickup } from "./pickup.js";
import { mountRecipient } from "./recipient.js";

const $ = (id) => document.getElementById(id);
const PARCEL_CARDS = ["scan-card", "parcel", "recipient"];

let me = null;
let myParty = null;
let myOutlet = null;
let parcel = null; // the scanned subject
let state = null; // its public state (parcel.js)

startPage("courier.page_title", () => {
  renderParcel($("parcel-body"), state, me);
  describeStep();
});
const alert = alertBox($("action-problem"));
const parcelAlert = alertBox($("parcel-problem"));
const receipt = mountReceipt($("receipt"));
const handoffForm = $("form-handoff");
const deliveryForm = $("form-delivery");
const ctx = { identity: () => me, party: () => myParty, parcel: () => parcel };
const recipient = mountRecipient($("recipient"), ctx);
mountPickup($("form-pickup"), ctx);
mountScanPanel($("scan"), {
  name: "parcel",
  expect: "parcel",
  courier: () => myParty?.company_id ?? null,
  labelKey: "courier.scan.label",
  placeholderKey: "courier.scan.placeholder",
  onResult: (result) => openParcel(result.subject),
});

mountSignIn($("identity"), {
  kinds: ["staff", "outlet"],
  pageKey: "courier",
  titleKey: "courier.signin.title",
  onChange: signedIn,
});

const step = () => document.querySelector("input[name=step]:checked").value;
for (const radio of document.querySelectorAll("input[name=step]")) radio.addEventListener("change", describeStep);

async function signedIn(identity, party) {
  me = identity;
  myParty = party;
  const on = Boolean(identity);
  $("intro").hidden = on;
  $("step-card").hidden = !on;
  if (!on) {
    for (const id of [...PARCEL_CARDS, "action-card"]) $(id).hidden = true;
    receipt.clear();
    return;
  }
  myOutlet = party?.outlet_id
    ? await api.get(`/parties/${encodeURIComponent(party.outlet_id)}`).catch(() => null)
    : null;
  describeStep();
}

/** Show the cards the chosen step needs, and say who holds the parcel for it. */
function describeStep() {
  if (!me) return;
  const chosen = step();
  $("step-hint").textContent = t(`courier.step.${chosen}_hint`);
  const needsParcel = chosen !== "pickup";
  for (const id of PARCEL_CARDS) $(id).hidden = !needsParcel || (id !== "scan-card" && !parcel);
  $("action-card").hidden = needsParcel && !parcel;
  $("action-title").textContent = t(`courier.step.${chosen}`);
  handoffForm.hidden = chosen !== "handoff";
  deliveryForm.hidden = chosen !== "delivery";
  $("form-pickup").hidden = chosen !== "pickup";
  const holder = state?.holder;
  const mine = holder?.party_id === me.party_id;
  // Delivered or received: the chain of custody has ended; the service would refuse both.
  const ended = Boolean(state?.status) && state.status !== "in_transit";
  const endedText = ended ? t("courier.parcel.ended", { status: t(`courier.parcel.status.${state.status}`) }) : "";
  const fromId = handoffForm.elements.from;
  fromId.hidden = Boolean(holder) || ended;
  fromId.required = !fromId.hidden;
  $("handoff-from").classList.toggle("notice-warn", ended);
  $("handoff-from").textContent = ended
    ? endedText
    : !holder
      ? t("courier.handoff.unknown_holder")
      : mine ? t("courier.handoff.you_hold") : t("courier.handoff.from", { name: holder.name });
  handoffForm.querySelector("button[type=submit]").disabled = Boolean(mine) || ended;
  const warning = ended ? endedText : holder && !mine ? t("courier.delivery.not_holder", { name: holder.name }) : "";
  $("delivery-holder").hidden = !warning;
  $("delivery-holder").textContent = warning;
}

async function openParcel(subject) {
  parcel = subject;
  state = null;
  alert.clear();
  recipient.reset();
  receipt.clear();
  renderParcel($("parcel-body"), null, me);
  describeStep();
  await refreshParcel();
  prefill();
}

/** Re-read the parcel's public state (after a scan, or after an event was accepted). */
async function refreshParcel() {
  parcelAlert.clear();
  try {
    state = await loadParcel(parcel);
  } catch (error) {
    state = null;
    parcelAlert.error(error);
  }
  renderParcel($("parcel-body"), state, me);
  describeStep();
}

/** Defaults from what is known: the staff member's outlet, the parcel's last weight. */
function prefill() {
  handoffForm.elements.place.value = myOutlet?.name ?? "";
  handoffForm.elements.city.value = myOutlet?.city ?? "";
  deliveryForm.elements.place.value = "";
  deliveryForm.elements.city.value = state?.destination ?? myOutlet?.city ?? "";
  for (const form of [handoffForm, deliveryForm]) {
    form.elements.weight_g.value = state?.weight ?? "";
  }
}

function radio(form, name) {
  return form.querySelector(`input[name=${name}]:checked`).value;
}

async function submit(form, build) {
  alert.clear();
  const buttons = form.querySelectorAll("button");
  for (const b of buttons) b.disabled = true;
  try {
    const { receipt: answer, envelope } = await signAndSubmit(build(), [me]);
    await refreshParcel();
    await receipt.show({ receipt: answer, envelope, signers: [me.name ?? me.party_id], items: state?.items ?? [] });
  } catch (error) {
    alert.error(error);
  } finally {
    for (const b of buttons) b.disabled = false;
    describeStep();
  }
}

handoffForm.addEventListener("submit", (event) => {
  event.preventDefault();
  submit(handoffForm, () => {
    const fields = {
      from: state?.holder?.party_id ?? handoffForm.elements.from.value.trim(),
      location: { name: handoffForm.elements.place.value.trim(), city: handoffForm.elements.city.value.trim() },
      condition: radio(handoffForm, "condition"),
      weight_g: Number(handoffForm.elements.weight_g.value),
    };
    const seal = radio(handoffForm, "seal");
    if (seal) fields.seal = seal;
    return payload("handoff", parcel, state?.head, fields);
  });
});

for (const input of deliveryForm.querySelectorAll("input[name=method]")) {
  input.addEventListener("change", () => {
    // In person needs no consent; a locker, a station or a proxy needs the recipient's.
    deliveryForm.elements.consent.checked = radio(deliveryForm, "method") === "in_person";
  });
}

deliveryForm.addEventListener("submit", (event) => {
  event.preventDefault();
  submit(deliveryForm, () =>
    payload("delivery", parcel, state?.head, {
      method: radio(deliveryForm, "method"),
      consent: deliveryForm.elements.consent.checked,
      location: { name: deliveryForm.elements.place.value.trim(), city: deliveryForm.elements.city.value.trim() },
      condition: radio(deliveryForm, "condition"),
      weight_g: Number(deliveryForm.elements.weight_g.value),
    }),
  );
});

