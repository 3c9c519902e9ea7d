// Checking the service's evidence in the browser, so a reader need not take the server's word:
//  - a checkpoint (C2SP signed note) is signed by the log's published Ed25519 key;
//  - an entry's exact bytes hash to its RFC 9162 leaf, and the inclusion proof leads from that
//    leaf to the checkpoint's root;
//  - every event signature verifies (Ed25519 over the domain prefix and the RFC 8785 payload)
//    with the signer's registered public key, valid when the event was logged.
// Formats as in trace_service/ledger/checkpoint.py, merkle.py and envelope.py.

import { api } from "./api.js";
import {
  b64decode,
  bytesEqual,
  canonicalize,
  concatBytes,
  ed25519Verify,
  eventSigningInput,
  keyIdOf,
  sha256,
  utf8,
} from "./crypto.js";

const SIGNATURE_PREFIX = "\u2014 ";

// ---- RFC 9162 Merkle hashing -------------------------------------------------------------

export async function leafHash(entryBytes) {
  return sha256(concatBytes(new Uint8Array([0]), entryBytes));
}

async function nodeHash(left, right) {
  return sha256(concatBytes(new Uint8Array([1]), left, right));
}

/** RFC 9162 §2.1.3.2: does `proof` lead from the leaf at `index` to `root` of a `size` tree? */
export async function verifyInclusion(leaf, index, size, proof, root) {
  if (!(index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(r, root);
}

// ---- C2SP signed notes -------------------------------------------------------------------

/** Parse `<name>+<hex id>+<base64(0x01 ‖ key)>` and check the id matches name and key. */
export async function parseVerifierKey(vkey) {
  const parts = vkey.trim().split("+");
  if (parts.length < 3) throw new Error("verifier key must be <name>+<id>+<key>");
  const name = parts[0];
  const idHex = parts[1];
  const key = b64decode(parts.slice(2).join("+"));
  if (key.length !== 33 || key[0] !== 1) throw new Error("not an Ed25519 signed-note key");
  const id = (await sha256(concatBytes(utf8(name + "\n"), key))).slice(0, 4);
  const hexId = Array.from(id, (b) => b.toString(16).padStart(2, "0")).join("");
  if (hexId !== idHex.toLowerCase()) throw new Error("verifier key id does not match");
  return { name, id, publicKey: key.slice(1) };
}

/** Split a signed note into its signed text and its signature lines. */
function splitNote(note) {
  const at = note.lastIndexOf("\n\n");
  if (at < 0) throw new Error("a signed note has a blank line before its signatures");
  const text = note.slice(0, at + 1);
  const signatures = note
    .slice(at + 2)
    .split("\n")
    .filter((line) => line !== "");
  return { text, signatures };
}

/**
 * Verify a checkpoint note with one of `keys` (parsed verifier keys); returns
 * {ok, origin, size, root, keyName, reason}.
 */
export async function verifyCheckpoint(note, keys) {
  let parsed;
  try {
    parsed = splitNote(note);
  } catch (error) {
    return { ok: false, reason: error.message };
  }
  const lines = parsed.text.split("\n");
  const origin = lines[0];
  const size = Number(lines[1]);
  let root;
  try {
    root = b64decode(lines[2] ?? "");
  } catch {
    return { ok: false, reason: "the root is not base64" };
  }
  if (!/^(0|[1-9][0-9]*)$/.test(lines[1] ?? "") || root.length !== 32) {
    return { ok: false, origin, reason: "the checkpoint body is malformed" };
  }
  for (const line of parsed.signatures) {
    if (!line.startsWith(SIGNATURE_PREFIX)) continue;
    const [name, encoded] = line.slice(SIGNATURE_PREFIX.length).split(" ");
    let blob;
    try {
      blob = b64decode(encoded ?? "");
    } catch {
      continue;
    }
    if (blob.length !== 68) continue;
    for (const key of keys) {
      if (key.name !== name || !bytesEqual(key.id, blob.slice(0, 4))) continue;
      const ok = await ed25519Verify(key.publicKey, blob.slice(4), utf8(parsed.text));
      if (ok) return { ok: true, origin, size, root, keyName: name };
      return { ok: false, origin, size, root, reason: "the log's signature does not verify" };
    }
  }
  return { ok: false, origin, size, root, reason: "no signature by a known log key" };
}

/** The log's verifier keys (current and retired, /log/keys), and its latest checkpoint, checked. */
export async function loadLogState() {
  const listed = await api.get("/log/keys");
  const keys = [];
  for (const entry of listed) keys.push({ ...(await parseVerifierKey(entry.vkey)), ...entry });
  const note = await api.get("/checkpoint", { accept: "text/plain" });
  const checkpoint = await verifyCheckpoint(note, keys);
  return { keys, note, checkpoint };
}

// ---- Events ------------------------------------------------------------------------------

const partyKeysCache = new Map();

async function partyKeys(partyId) {
  if (!partyKeysCache.has(partyId)) {
    partyKeysCache.set(partyId, api.get(`/parties/${encodeURIComponent(partyId)}/keys`));
  }
  return partyKeysCache.get(partyId);
}

/**
 * The public key behind `keyid`: from the signer's registered keys (by party) or, for a buyer's
 * device key, from the sale that named it (`buyerKeys`: base64 keys seen in sale payloads).
 * The key id is recomputed from the key, so a wrong key cannot pass for the named one.
 */
export async function findPublicKey(signer, buyerKeys = []) {
  const candidates = [];
  if (signer.party_id) {
    for (const key of await partyKeys(signer.party_id).catch(() => [])) {
      if (key.keyid === signer.keyid) candidates.push(key);
    }
  } else {
    for (const b64 of buyerKeys) candidates.push({ public_key: b64, revoked_at: null });
  }
  for (const candidate of candidates) {
    const raw = b64decode(candidate.public_key);
    if ((await keyIdOf(raw)) === signer.keyid) return { raw, key: candidate };
  }
  return null;
}

/**
 * Verify one logged event end to end: its exact bytes (GET /log/entries/<index>), its leaf
 * hash, its inclusion in the checkpoint, and each signature.
 * `signers` are the timeline's [{keyid, party_id}], `buyerKeys` the sale's buyer keys.
 */
export async function verifyLoggedEvent(index, checkpoint, { signers = [], buyerKeys = [], loggedAt } = {}) {
  const result = { index, bytesOk: false, included: false, signatures: [], payload: null };
  const bytes = await api.bytes(`/log/entries/${index}`);
  result.bytes = bytes; // the exact entry: its SHA-256 is the event hash the next `prev` names
  result.leafHash = await leafHash(bytes);
  let envelope;
  try {
    envelope = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    result.bytesOk = true;
  } catch {
    return result;
  }
  result.envelope = envelope;
  result.payload = envelope.payload;
  const proof = await api.get(`/log/inclusion?index=${index}&size=${checkpoint.size}`);
  result.proofLength = proof.hashes.length;
  result.included = await verifyInclusion(
    result.leafHash,
    index,
    checkpoint.size,
    proof.hashes.map(b64decode),
    checkpoint.root,
  );
  const message = eventSigningInput(envelope.payload);
  for (const sig of envelope.signatures ?? []) {
    const signer = signers.find((s) => s.keyid === sig.keyid) ?? { keyid: sig.keyid };
    const found = await findPublicKey(signer, buyerKeys);
    let ok = false;
    let reason = null;
    if (!found) {
      reason = "unknown_key";
    } else {
      ok = await ed25519Verify(found.raw, b64decode(sig.sig), message).catch(() => false);
      if (!ok) reason = "bad_signature";
      const revoked = found.key.revoked_at ? Date.parse(found.key.revoked_at) : null;
      if (ok && revoked !== null && loggedAt && Date.parse(loggedAt) >= revoked) {
        ok = false;
        reason = "revoked_key";
      }
    }
    result.signatures.push({ keyid: sig.keyid, ok, reason });
  }
  result.ok = result.bytesOk && result.included && result.signatures.length > 0 &&
    result.signatures.every((s) => s.ok);
  return result;
}

/**
 * Check a receipt from POST /events against the envelope that was submitted: the leaf is the
 * hash of exactly that envelope (RFC 8785 bytes), the checkpoint is signed by the log, and the
 * inclusion proof leads from the leaf to the checkpoint's root.
 * Returns {ok, index, treeSize, steps: [{step, ok}]}.
 */
export async function verifyReceipt(receipt, envelope, logKeys = null) {
  const keys = logKeys ?? (await loadLogState()).keys;
  const steps = [];
  const sortedSignatures = [...envelope.signatures].sort((a, b) => (a.keyid < b.keyid ? -1 : 1));
  const body = utf8(canonicalize({ payload: envelope.payload, signatures: sortedSignatures }));
  const leaf = await leafHash(body);
  const stated = b64decode(receipt.leaf_hash);
  steps.push({ step: "leaf", ok: bytesEqual(leaf, stated) });
  const checkpoint = await verifyCheckpoint(receipt.checkpoint, keys);
  steps.push({ step: "checkpoint", ok: checkpoint.ok });
  const inclusion = receipt.inclusion;
  const included =
    checkpoint.ok &&
    checkpoint.size === inclusion.tree_size &&
    (await verifyInclusion(leaf, receipt.index, inclusion.tree_size, inclusion.hashes.map(b64decode), checkpoint.root));
  steps.push({ step: "inclusion", ok: included });
  return { ok: steps.every((s) => s.ok), index: receipt.index, treeSize: inclusion.tree_size, steps };
}
