// Who is signed in: a regulator's identity imported from its key file into IndexedDB as a
// non-extractable key (core/keys.js). Its credential authorises the private reads (cases,
// evidence, nominations); its key signs decisions in this browser.

import { api } from "../core/api.js";
import {
  forgetIdentity,
  identitiesOfKind,
  identityFromKeyFile,
  KeyFileError,
  saveIdentity,
} from "../core/keys.js";

let current = null;

function announce() {
  document.dispatchEvent(new CustomEvent("signinchange", { detail: { identity: current } }));
}

/** The regulator identity kept on this device, if any. */
export async function restore() {
  const found = await identitiesOfKind("regulator").catch(() => []);
  current = found.find((identity) => identity.credential) ?? null;
  return current;
}

export function identity() {
  return current;
}

export function credential() {
  return current?.credential ?? null;
}

/**
 * Import a regulator's key file. Refuses other parties' keys and files without a credential;
 * the credential is tried on a regulator-only read before the identity is kept.
 * Raises KeyFileError (messageKey keys.file.*) or ApiError.
 */
export async function signIn(file) {
  const text = typeof file === "string" ? file : await file.text();
  const candidate = await identityFromKeyFile(text);
  if (candidate.kind !== "regulator") throw new KeyFileError("keys.file.not_regulator");
  if (!candidate.credential) throw new KeyFileError("keys.file.no_credential");
  await api.get("/lists/nominations", { credential: candidate.credential });
  current = await saveIdentity(candidate);
  announce();
  return current;
}

export async function signOut() {
  if (current) await forgetIdentity(current.keyid).catch(() => {});
  current = null;
  announce();
}
