// Whose key signed an event: the log names signatures by key id only. The verifier
// (core/evidence.js) needs each signer's party to fetch its registered public keys, or, for a
// buyer's device key, the sale that named it. Candidates come from what the dashboard already
// knows (the case's records and shares), the payload itself, and the public timeline of the
// item or parcel the event is about (the consumer resolve view lists every signer).

import { api } from "../core/api.js";

const keyOwners = new Map(); // keyid → party id
const partyKeyCache = new Map();
const timelines = new Map();

async function keysOf(partyId) {
  if (!partyKeyCache.has(partyId)) {
    partyKeyCache.set(partyId, api.get(`/parties/${encodeURIComponent(partyId)}/keys`).catch(() => []));
  }
  for (const key of await partyKeyCache.get(partyId)) keyOwners.set(key.keyid, partyId);
}

/** The first item (01/…/21/… or 01/…/10/…) a parcel's public EPCIS document names. */
async function itemOfParcel(parcel) {
  const doc = await api.get(`/epcis/parcels/${parcel}`);
  const match = /https?:\/\/[^"\s]*?\/(01\/\d{14}\/(?:21|10)\/[^"\s]+)/.exec(JSON.stringify(doc));
  return match ? decodeURIComponent(match[1]) : null;
}

/** Signers and buyer keys of the item's public timeline (its own and its parcels' events). */
async function timelineOf(subject) {
  if (!timelines.has(subject)) {
    timelines.set(subject, (async () => {
      const item = subject.startsWith("01/") ? subject : await itemOfParcel(subject);
      if (!item) return { signers: [], buyerKeys: [] };
      const [gtinPart, rest] = [item.split("/").slice(0, 2).join("/"), item.split("/").slice(2)];
      const path = `/${gtinPart}/${rest[0]}/${rest.slice(1).map(encodeURIComponent).join("/")}`;
      const view = await api.get(path);
      const signers = [];
      const buyerKeys = [];
      for (const event of view.events ?? []) {
        for (const signer of event.signers ?? []) if (signer.party_id) signers.push(signer);
        if (event.payload?.buyer_key) buyerKeys.push(event.payload.buyer_key);
      }
      return { signers, buyerKeys };
    })().catch(() => ({ signers: [], buyerKeys: [] })));
  }
  return timelines.get(subject);
}

/**
 * [{keyid, party_id}] for the envelope's signatures, and the buyer keys to try for the rest.
 * `hints`: party ids likely to have signed (the record's author, the case's parties).
 */
export async function resolveSigners(envelope, hints = []) {
  const payload = envelope.payload ?? {};
  const wanted = (envelope.signatures ?? []).map((sig) => sig.keyid);
  const candidates = new Set(["trace-service", ...hints, payload.from, payload.courier, payload.platform]);
  if (payload.subject?.startsWith("party/")) candidates.add(payload.subject.slice("party/".length));
  await Promise.all([...candidates].filter(Boolean).map(keysOf));
  let buyerKeys = [];
  const subject = payload.subject ?? "";
  if (wanted.some((keyid) => !keyOwners.has(keyid)) && /^(00|01|wb)\//.test(subject)) {
    const timeline = await timelineOf(subject);
    for (const signer of timeline.signers) keyOwners.set(signer.keyid, signer.party_id);
    buyerKeys = timeline.buyerKeys;
  }
  return {
    signers: wanted.map((keyid) => ({ keyid, party_id: keyOwners.get(keyid) ?? null })),
    buyerKeys,
  };
}
