// The merchant scan console (/merchant): sign in with the merchant's key held in this browser,
// scan an item, record its listing, sale or dispatch signed here, and see the receipt verified
// here; print QR labels for a batch. The service never signs for the merchant.

import "./messages.js";
import { alertBox, remembered, startPage } from "../console/page.js";
import { mountReceipt } from "../console/receipt.js";
import { mountScanPanel } from "../console/scanpanel.js";
import { mountSignIn } from "../console/signin.js";
import { api } from "../core/api.js";
import { t } from "../core/i18n.js";
import { mountBatch } from "./batch.js";
import { mountDispatch } from "./dispatch.js";
import { mountItem } from "./item.js";
import { mountTrade } from "./trade.js";

const $ = (id) => document.getElementById(id);
const ACTIONS = ["listing", "sale", "dispatch"];
const DEFAULT_ACTION = { new: "listing", listed: "sale", sold: "dispatch" };

let me = null;
let myParty = null;

startPage("merchant.page_title");
const alert = alertBox($("action-problem"));
const receipt = mountReceipt($("receipt"));
const item = mountItem($("item"), { merchantId: () => me?.party_id ?? null, onChange: itemChanged });
const scan = mountScanPanel($("scan"), {
  name: "item",
  expect: "item",
  labelKey: "merchant.scan.label",
  placeholderKey: "merchant.scan.placeholder",
  onResult: (result) => {
    receipt.clear();
    alert.clear();
    item.load(result);
  },
});
const ctx = {
  identity: () => me,
  party: () => myParty,
  item: () => item.current(),
  alert,
  note: (key, params) => alert.message(key, params, "ok"),
  recorded,
};
const trade = mountTrade($("form-listing"), $("form-sale"), ctx);
const dispatch = mountDispatch($("form-dispatch"), ctx);
const batch = mountBatch($("batch"), ctx);

mountSignIn($("identity"), {
  kinds: ["merchant"],
  pageKey: "merchant",
  titleKey: "merchant.signin.title",
  onChange: signedIn,
});

for (const tab of document.querySelectorAll("[role=tab]")) {
  tab.addEventListener("click", () => selectAction(tab.dataset.action));
}

function selectAction(action) {
  for (const name of ACTIONS) {
    $(`tab-${name}`).setAttribute("aria-selected", String(name === action));
    $(`form-${name}`).hidden = name !== action;
  }
}

async function signedIn(identity, party) {
  me = identity;
  myParty = party;
  const on = Boolean(identity);
  for (const id of ["scan-card", "actions", "batch"]) $(id).hidden = !on;
  $("intro").hidden = on;
  if (!on) {
    scan.clear();
    receipt.clear();
    $("item").hidden = true;
    return;
  }
  showActions(item.current());
  if (item.current()) item.refresh(); // whose item it is depends on who signed in
  await defaultPlatform(party);
}

/** The platform the merchant sells on: the last one used here, else its registrar if a platform. */
async function defaultPlatform(party) {
  let platform = remembered.get("merchant.platform");
  if (!platform && party?.registered_by) {
    const registrar = await api.get(`/parties/${encodeURIComponent(party.registered_by)}`).catch(() => null);
    if (registrar?.kind === "platform") platform = registrar.id;
  }
  for (const input of document.querySelectorAll(".platform-input")) {
    if (!input.value && platform) input.value = platform;
  }
  describePlatforms();
}

const platformNames = new Map();

/** Under each platform field, the registered name of the party typed (or that it is unknown). */
async function describePlatforms() {
  for (const input of document.querySelectorAll(".platform-input")) {
    const note = document.querySelector(`.platform-name[data-for="${input.id}"]`);
    const id = input.value.trim();
    if (!id) {
      note.textContent = "";
      continue;
    }
    if (!platformNames.has(id)) {
      platformNames.set(id, api.get(`/parties/${encodeURIComponent(id)}`).catch(() => null));
    }
    const party = await platformNames.get(id);
    if (input.value.trim() !== id) continue;
    note.textContent = party?.kind === "platform" ? party.name : t("merchant.platform_unknown");
    note.classList.toggle("bad-text", party?.kind !== "platform");
  }
}

for (const input of document.querySelectorAll(".platform-input")) {
  input.addEventListener("change", () => {
    remembered.set("merchant.platform", input.value.trim() || null);
    describePlatforms();
  });
}
document.addEventListener("languagechange", () => {
  describePlatforms();
  if (me) showActions(item.current());
});

function showActions(current) {
  const usable = Boolean(current?.owned);
  $("actions-empty").hidden = usable;
  // Past the sale the item is in the courier's and the buyer's hands: say so before any refusal.
  const later = usable && ["in_transit", "delivered", "received"].includes(current.status);
  $("actions-note").hidden = !later;
  $("actions-note").textContent = later
    ? t("merchant.actions.later", { status: t(`merchant.item.status.${current.status}`) })
    : "";
  document.querySelector("#actions .tabs").hidden = !usable;
  if (!usable) {
    for (const name of ACTIONS) $(`form-${name}`).hidden = true;
    return;
  }
  selectAction(DEFAULT_ACTION[current.status] ?? "listing");
}

function itemChanged(current) {
  showActions(current);
  if (!current) return;
  trade.prefill(current);
  dispatch.offer(current);
  batch.offer(current);
  describePlatforms();
}

/** An event was accepted: show its receipt (verified here) and re-read the item's record. */
async function recorded({ receipt: answer, envelope, signers, items }) {
  const shown = receipt.show({ receipt: answer, envelope, signers: signers ?? [me.name ?? me.party_id], items });
  await item.refresh();
  await shown;
}
