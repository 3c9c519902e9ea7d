// Evidence primitives shared by every page: RFC 8785 canonical JSON, base64, SHA-256 and
// Ed25519 through WebCrypto. The service signs nothing on a client's behalf: pages sign and
// verify here, in the browser, with the same byte rules as trace_service/ledger.

const encoder = new TextEncoder();

// Domain separation prefix of every event signature (trace_service/ledger/canonical.py).
export const EVENT_SIGNING_PREFIX = "trace_service/event/v1\n";

function canonicalString(value) {
  // JSON.stringify escapes strings exactly as RFC 8785 §3.2.2.2 requires.
  return JSON.stringify(value);
}

/** RFC 8785 (JCS) canonical form of a JSON value, as a string. */
export function canonicalize(value) {
  if (value === null || typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("non-finite numbers cannot be canonicalised");
    // ECMAScript Number.prototype.toString is the JCS number format (§3.2.2.3).
    return Object.is(value, -0) ? "0" : String(value);
  }
  if (typeof value === "string") return canonicalString(value);
  if (Array.isArray(value)) return "[" + value.map(canonicalize).join(",") + "]";
  if (typeof value === "object") {
    // Keys sorted by UTF-16 code units (§3.2.3), which is JavaScript's default sort order.
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return "{" + keys.map((k) => canonicalString(k) + ":" + canonicalize(value[k])).join(",") + "}";
  }
  throw new TypeError(`cannot canonicalise a ${typeof value}`);
}

export function utf8(text) {
  return encoder.encode(text);
}

export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function b64decode(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function b64encode(bytes) {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

export function b64urlEncode(bytes) {
  return b64encode(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** A key id as the service names keys: the first 8 bytes of SHA-256(raw public key), hex. */
export async function keyIdOf(rawPublicKey) {
  return hex((await sha256(rawPublicKey)).slice(0, 8));
}

/** The bytes every signer of an event signs: the domain prefix and the canonical payload. */
export function eventSigningInput(payload) {
  return utf8(EVENT_SIGNING_PREFIX + canonicalize(payload));
}

/** Whether this browser's WebCrypto does Ed25519 (all current engines do). */
export async function ed25519Supported() {
  try {
    await crypto.subtle.importKey("raw", new Uint8Array(32), { name: "Ed25519" }, false, [
      "verify",
    ]);
    return true;
  } catch {
    return false;
  }
}

export async function importEd25519Public(rawPublicKey) {
  return crypto.subtle.importKey("raw", rawPublicKey, { name: "Ed25519" }, false, ["verify"]);
}

/** Import a 32-byte Ed25519 seed as a non-extractable signing key (it never leaves WebCrypto). */
export async function importEd25519Private(seed, rawPublicKey) {
  const jwk = {
    kty: "OKP",
    crv: "Ed25519",
    d: b64urlEncode(seed),
    x: b64urlEncode(rawPublicKey),
  };
  return crypto.subtle.importKey("jwk", jwk, { name: "Ed25519" }, false, ["sign"]);
}

export async function ed25519Verify(rawPublicKey, signature, message) {
  const key = await importEd25519Public(rawPublicKey);
  return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
}

export async function ed25519Sign(privateKey, message) {
  return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, message));
}
