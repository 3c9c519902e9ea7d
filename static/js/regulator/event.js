// An event the evidence rests on (drill-down, third step) and its log proof (fourth step),
// verified in this browser with core/evidence.js: the checkpoint's signature by the log key,
// the entry's exact bytes and RFC 9162 leaf hash, the inclusion proof up to the checkpoint's
// root, each Ed25519 signature with the signer's registered key, and the event hash itself.

import { ApiError, api } from "../core/api.js";
import { b64decode, canonicalize, hex, sha256, utf8 } from "../core/crypto.js";
import { loadLogState, verifyLoggedEvent } from "../core/evidence.js";
import { formatTime, t } from "../core/i18n.js";
import { checkMark, facts, fill, h, problemBox, progress, routeLink } from "./dom.js";
import { partyLabel, prefetch } from "./parties.js";
import { resolveSigners } from "./signers.js";

/** The canonical envelope and its log index (the Log-Index header). Raises ApiError. */
async function fetchEvent(hash) {
  let response;
  try {
    response = await fetch(`/events/${encodeURIComponent(hash)}`, { headers: { Accept: "application/json" }, cache: "no-store" });
  } catch {
    throw new ApiError(0, null);
  }
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  return { envelope: await response.json(), index: Number(response.headers.get("Log-Index")) };
}

function valueView(value) {
  if (value === null || value === undefined) return h("span", { class: "muted" }, "null");
  if (typeof value === "object") return h("pre", { class: "json" }, JSON.stringify(value, null, 2));
  const text = String(value);
  if (/^[0-9a-f]{64}$/.test(text)) return routeLink(`event/${text}`, h("code", { class: "hash" }, text));
  return h("span", {}, text);
}

function payloadTable(payload) {
  return h("table", { class: "payload-table" }, h("tbody", {}, Object.entries(payload).map(([key, value]) =>
    h("tr", {}, h("th", { scope: "row" }, h("code", {}, key)), h("td", {}, key === "prev" && value ? valueView(value) : valueView(value))))));
}

function hashList(hashes) {
  return h("ol", { class: "proof-hashes", start: 1 }, hashes.map((hash) => h("li", {}, h("code", { class: "hash" }, hash))));
}

async function verify(holder, hash, index, envelope, hints) {
  const bar = progress(holder, t("proof.step.checkpoint"));
  try {
    bar.set(1, 5, t("proof.step.checkpoint"));
    const log = await loadLogState();
    const checkpoint = log.checkpoint;
    bar.set(2, 5, t("proof.step.signers"));
    const { signers, buyerKeys } = await resolveSigners(envelope, hints);
    await prefetch(signers.map((s) => s.party_id));
    bar.set(3, 5, t("proof.step.entry"));
    const result = checkpoint.ok
      ? await verifyLoggedEvent(index, checkpoint, { signers, buyerKeys, loggedAt: envelope.payload?.time })
      : null;
    bar.set(4, 5, t("proof.step.inclusion"));
    const proof = checkpoint.ok ? await api.get(`/log/inclusion?index=${index}&size=${checkpoint.size}`) : { hashes: [] };
    const sorted = [...(result?.envelope?.signatures ?? [])].sort((a, b) => (a.keyid < b.keyid ? -1 : 1));
    const eventHash = result?.envelope
      ? hex(await sha256(utf8(canonicalize({ payload: result.envelope.payload, signatures: sorted })))) : null;
    const hashOk = eventHash === hash;
    const ok = Boolean(checkpoint.ok && result?.ok && hashOk);
    const signerOf = (keyid) => signers.find((s) => s.keyid === keyid)?.party_id;
    fill(holder,
      h("div", { class: `proof-result ${ok ? "ok" : "bad"}`, role: "status", dataset: { verified: String(ok) } },
        h("span", { class: "proof-mark", "aria-hidden": "true" }, ok ? "✓" : "✗"),
        h("div", {}, h("strong", {}, t(ok ? "proof.verified" : "proof.failed")),
          h("p", { class: "small" }, t(ok ? "proof.verified.help" : "proof.failed.help", { index, size: checkpoint.size ?? "?" })))),
      h("ol", { class: "proof-steps" },
        h("li", {}, checkMark(checkpoint.ok, "proof.checkpoint_ok", "proof.checkpoint_bad", { reason: checkpoint.reason ?? "" }),
          facts([
            ["proof.origin", h("code", {}, checkpoint.origin ?? "—")],
            ["proof.size", h("span", { dataset: { field: "checkpoint_size" } }, String(checkpoint.size ?? "—"))],
            ["proof.root", checkpoint.root ? h("code", { class: "hash", dataset: { field: "checkpoint_root" } }, hex(checkpoint.root)) : "—"],
            ["proof.key", checkpoint.keyName ?? "—"],
          ])),
        result ? h("li", {}, checkMark(result.bytesOk, "proof.entry_ok", "proof.entry_bad", { index }),
          facts([["proof.leaf", h("code", { class: "hash", dataset: { field: "leaf_hash" } }, hex(result.leafHash))]])) : null,
        result ? h("li", {}, checkMark(result.included, "proof.included", "proof.not_included", { count: proof.hashes.length }),
          proof.hashes.length ? hashList(proof.hashes.map((b) => hex(b64decode(b)))) : h("p", { class: "small muted" }, t("proof.no_hashes"))) : null,
        result ? h("li", {}, h("div", {}, t("proof.signatures")), h("ul", { class: "signature-checks" }, result.signatures.map((sig) => h("li", {},
          checkMark(sig.ok, "proof.signature_ok", "proof.signature_bad", { reason: sig.reason ? t(`proof.reason.${sig.reason}`) : "" }),
          " ", h("code", {}, sig.keyid), " ", signerOf(sig.keyid) ? partyLabel(signerOf(sig.keyid)) : h("span", { class: "muted" }, t("proof.buyer_key")))))) : null,
        result ? h("li", {}, checkMark(hashOk, "proof.hash_ok", "proof.hash_bad"),
          facts([["event.hash", h("code", { class: "hash" }, eventHash ?? "—")]])) : null,
      ),
    );
  } catch (error) {
    fill(holder, problemBox(error));
  }
}

/** Render the event `hash` into `root`; `hints` are party ids likely to have signed it. */
export async function renderEvent(root, hash, { hints = [] } = {}) {
  fill(root, h("p", { class: "muted" }, t("loading")));
  let event;
  try {
    event = await fetchEvent(hash);
  } catch (error) {
    fill(root, h("section", { class: "card" }, h("h2", {}, t("event.title")), problemBox(error)));
    return { title: hash.slice(0, 8) };
  }
  const { envelope, index } = event;
  const payload = envelope.payload ?? {};
  const proofHolder = h("div", { class: "proof-body" });
  const verifyButton = h("button", { type: "button", id: "verify-proof",
    onclick: () => { verifyButton.disabled = true; verify(proofHolder, hash, index, envelope, hints).finally(() => { verifyButton.disabled = false; }); } },
  t("proof.verify"));
  fill(root,
    h("section", { class: "card event-card", dataset: { hash, index } },
      h("div", { class: "card-head" }, h("h2", {}, t("event.title_of", { type: t(`record.${payload.type}`) })),
        h("span", { class: "badge neutral" }, `${t("event.index")} #${index}`)),
      facts([
        ["event.hash", h("code", { class: "hash" }, hash)],
        ["event.subject", h("code", {}, payload.subject ?? "—")],
        ["event.time", payload.time ? formatTime(payload.time) : null],
        ["event.signatures", envelope.signatures.map((sig) => h("div", {}, h("code", {}, sig.keyid)))],
      ]),
      h("details", { class: "payload" }, h("summary", {}, t("event.payload")), payloadTable(payload)),
    ),
    h("section", { class: "card proof-card" },
      h("div", { class: "card-head" }, h("h2", {}, t("proof.title")), verifyButton),
      h("p", { class: "small muted" }, t("proof.help")),
      proofHolder),
  );
  return { title: t(`record.${payload.type}`) };
}
