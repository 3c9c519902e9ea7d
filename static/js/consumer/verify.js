// The consumer's own check of an item's timeline. The server's JSON says which log entries
// make up the item's life; everything the verdict rests on is re-derived here from the log's
// exact bytes: checkpoint signature, leaf hash and inclusion, every Ed25519 signature and the
// per-subject hash chain. The server's own validity flags are only compared, never trusted.

import { hex, sha256 } from "../core/crypto.js";
import { loadLogState, verifyLoggedEvent } from "../core/evidence.js";

const CONCURRENCY = 3;

async function inPool(items, limit, task) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await task(item);
    }
  });
  await Promise.all(workers);
}

/** One event checked from its log bytes; `buyerKeys` are keys named by verified sales. */
async function checkEvent(event, checkpoint, buyerKeys) {
  const result = {
    index: event.index,
    server: event,
    payload: null,
    hash: null,
    leafHash: null,
    bytesOk: false,
    included: false,
    signatures: [],
    reasons: [],
    treeSize: checkpoint.size,
    proofLength: 0,
  };
  try {
    const checked = await verifyLoggedEvent(event.index, checkpoint, {
      signers: event.signers ?? [],
      buyerKeys,
      loggedAt: event.integrated_at,
    });
    // The chain hash is taken from the very bytes whose leaf was proven included.
    result.leafHash = checked.leafHash ? hex(checked.leafHash) : null;
    result.hash = checked.bytes ? hex(await sha256(checked.bytes)) : null;
    result.proofLength = checked.proofLength ?? 0;
    result.bytesOk = checked.bytesOk;
    result.included = checked.included;
    result.payload = checked.payload && typeof checked.payload === "object" ? checked.payload : null;
    result.signatures = checked.signatures.map((s) => ({
      ...s,
      signer: (event.signers ?? []).find((x) => x.keyid === s.keyid) ?? { keyid: s.keyid, role: "unknown" },
    }));
  } catch (error) {
    result.error = error;
    result.reasons.push("network");
  }
  return result;
}

function signatureReasons(result) {
  if (result.signatures.length === 0) return ["signature"];
  const reasons = new Set();
  for (const s of result.signatures) {
    if (s.ok) continue;
    reasons.add(s.reason === "unknown_key" || s.reason === "revoked_key" ? s.reason : "signature");
  }
  return [...reasons];
}

/** Buyer public keys named in verified sales of the timeline's own subject. */
function saleKeys(results, subject) {
  return results
    .filter((r) => r.included && r.payload?.type === "sale" && r.payload.subject === subject)
    .filter((r) => r.signatures.length > 0 && r.signatures.every((s) => s.ok))
    .map((r) => r.payload.buyer_key)
    .filter((key) => typeof key === "string");
}

/** Link every event to the previous one of its subject and decide its status. */
function judge(results, timeline) {
  const heads = new Map();
  const parcelsCarrying = new Set(
    results
      .filter((r) => r.included && r.payload?.type === "dispatch")
      .filter((r) => Array.isArray(r.payload.items) && r.payload.items.includes(timeline.subject))
      .map((r) => r.payload.subject),
  );
  for (const r of results) {
    const subject = r.payload?.subject ?? r.server.subject;
    const head = heads.get(subject);
    if (!r.payload) r.chain = "unknown";
    else if (!head) r.chain = r.payload.prev === null ? "first" : "broken";
    else if (r.payload.prev === head.hash) r.chain = "ok";
    else r.chain = head.intact ? "broken" : "after_failure";
    r.prevIndex = head?.index ?? null;
    r.intact = r.bytesOk && r.included;
    heads.set(subject, { hash: r.hash, index: r.index, intact: r.intact });

    const ours = subject === timeline.subject || parcelsCarrying.has(subject);
    r.subjectOk = Boolean(r.payload) && subject === r.server.subject && ours;
    if (!r.reasons.includes("network")) {
      if (!r.bytesOk) r.reasons.push("bytes");
      else if (!r.included) r.reasons.push("inclusion");
      r.reasons.push(...signatureReasons(r));
      if (r.chain === "broken") r.reasons.push("chain");
      if (r.payload && !r.subjectOk) r.reasons.push("subject");
    }
    r.ok = r.reasons.length === 0 && (r.chain === "ok" || r.chain === "first");
    // A record whose predecessor failed is not itself at fault: it is "unconfirmed".
    r.status = r.ok ? "ok" : r.reasons.length === 0 ? "warn" : "bad";
    const s = r.server;
    const serverSays = Boolean(s.hash_valid && s.signature_valid && s.chain_valid);
    r.serverDisagrees = serverSays !== r.ok;
  }
}

/**
 * Check a resolved timeline (the JSON of the item's Digital Link) in the browser.
 * `onProgress(done, total)` is called after each event. Returns
 * {ok, checkpoint, logKey, events: [result…], reasons, disagreement}.
 */
export async function verifyTimeline(timeline, onProgress = () => {}) {
  const events = [...(timeline.events ?? [])].sort((a, b) => a.index - b.index);
  let state = await loadLogState();
  const highest = events.reduce((max, e) => Math.max(max, e.index), -1);
  if (state.checkpoint.ok && highest >= state.checkpoint.size) {
    state = await loadLogState(); // an event logged between the two reads: take the newer head
  }
  const checkpoint = state.checkpoint;
  const logKey = state.keys.find((k) => k.name === checkpoint.keyName && checkpoint.ok);
  const report = { checkpoint, logKey, events: [], reasons: [], ok: false, disagreement: false };
  if (!checkpoint.ok) {
    report.reasons.push({ kind: "checkpoint" });
    report.events = events.map((e) => ({
      index: e.index,
      server: e,
      status: "bad",
      reasons: ["inclusion"],
      signatures: [],
    }));
    return report;
  }
  const results = new Map();
  let done = 0;
  const run = async (event, buyerKeys) => {
    results.set(event.index, await checkEvent(event, checkpoint, buyerKeys));
    onProgress(++done, events.length);
  };
  // Sales first: a buyer's receipt, review or complaint is checked with the key its sale named.
  for (const event of events.filter((e) => e.type === "sale")) await run(event, []);
  const buyerKeys = saleKeys([...results.values()], timeline.subject);
  await inPool(events.filter((e) => e.type !== "sale"), CONCURRENCY, (e) => run(e, buyerKeys));

  report.events = events.map((e) => results.get(e.index));
  judge(report.events, timeline);
  for (const r of report.events) {
    if (r.status === "bad") report.reasons.push({ kind: "event", result: r });
  }
  report.disagreement = report.events.some((r) => r.serverDisagrees);
  report.ok = report.events.length > 0 && report.events.every((r) => r.ok);
  if (report.events.length === 0) report.reasons.push({ kind: "empty" });
  return report;
}
