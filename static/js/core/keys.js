// Signing identities held in the browser. A private key is imported (or generated) as a
// non-extractable WebCrypto key and kept in IndexedDB: script on this page can ask it to sign,
// but nothing — not this page, not the service — can read the key back out.

import {
  b64decode,
  b64encode,
  ed25519Sign,
  eventSigningInput,
  importEd25519Private,
  keyIdOf,
} from "./crypto.js";

const DB_NAME = "trace_service";
const STORE = "identities";

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "keyid" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore(mode, action) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export class KeyFileError extends Error {
  constructor(messageKey) {
    super(messageKey);
    this.messageKey = messageKey; // an i18n key: keys.file.*
  }
}

/**
 * Build an identity from a key file's JSON (the format of `instance/demo/<role>.json`:
 * party_id, kind, name, keyid, private_key (base64 seed), public_key, credential).
 * The seed is checked against the public key and the key id before it is stored.
 */
export async function identityFromKeyFile(json) {
  let data;
  try {
    data = typeof json === "string" ? JSON.parse(json) : json;
  } catch {
    throw new KeyFileError("keys.file.not_json");
  }
  if (!data || typeof data.private_key !== "string" || typeof data.public_key !== "string") {
    throw new KeyFileError("keys.file.no_key");
  }
  let seed;
  let publicKey;
  try {
    seed = b64decode(data.private_key);
    publicKey = b64decode(data.public_key);
  } catch {
    throw new KeyFileError("keys.file.bad_base64");
  }
  if (seed.length !== 32 || publicKey.length !== 32) throw new KeyFileError("keys.file.bad_length");
  const keyid = await keyIdOf(publicKey);
  if (data.keyid && data.keyid !== keyid) throw new KeyFileError("keys.file.keyid_mismatch");
  let privateKey;
  try {
    privateKey = await importEd25519Private(seed, publicKey);
  } catch {
    // WebCrypto refuses a seed whose public key is not the one given.
    throw new KeyFileError("keys.file.key_mismatch");
  }
  seed.fill(0);
  return {
    keyid,
    party_id: data.party_id ?? null,
    kind: data.kind ?? "buyer",
    name: data.name ?? null,
    company_id: data.company_id ?? null,
    public_key: b64encode(publicKey),
    credential: data.credential ?? null,
    privateKey,
    added_at: new Date().toISOString(),
  };
}

/** A fresh device key (a buyer's key made at purchase): non-extractable from the start. */
export async function generateIdentity(kind = "buyer") {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return {
    keyid: await keyIdOf(publicKey),
    party_id: null,
    kind,
    name: null,
    company_id: null,
    public_key: b64encode(publicKey),
    credential: null,
    privateKey: pair.privateKey,
    added_at: new Date().toISOString(),
  };
}

export async function saveIdentity(identity) {
  await withStore("readwrite", (store) => store.put(identity));
  return identity;
}

export async function importKeyFile(file) {
  const text = typeof file === "string" ? file : await file.text();
  return saveIdentity(await identityFromKeyFile(text));
}

export async function listIdentities() {
  return (await withStore("readonly", (store) => store.getAll())) ?? [];
}

/** Identities of the given party kinds, most recently added first. */
export async function identitiesOfKind(...kinds) {
  const all = await listIdentities();
  return all
    .filter((i) => kinds.length === 0 || kinds.includes(i.kind))
    .sort((a, b) => (a.added_at < b.added_at ? 1 : -1));
}

export async function getIdentity(keyid) {
  return withStore("readonly", (store) => store.get(keyid));
}

export async function forgetIdentity(keyid) {
  await withStore("readwrite", (store) => store.delete(keyid));
}

/** Sign a payload with one or more identities: the envelope POST /events expects. */
export async function signEnvelope(payload, identities) {
  const message = eventSigningInput(payload);
  const signatures = [];
  for (const identity of identities) {
    const sig = await ed25519Sign(identity.privateKey, message);
    signatures.push({ keyid: identity.keyid, sig: b64encode(sig) });
  }
  signatures.sort((a, b) => (a.keyid < b.keyid ? -1 : a.keyid > b.keyid ? 1 : 0));
  return { payload, signatures };
}
