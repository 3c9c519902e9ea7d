// The dispatch countersignature (揽收会签) between two devices. A dispatch is signed by the
// merchant and countersigned by the courier who picks the parcel up, each with a key that never
// leaves its own device: the merchant console shows the signed payload as a code (QR or text),
// the courier's phone checks and countersigns it and shows its signature back as a code, and
// the merchant submits the envelope with both signatures and the recipient's data (which only
// the merchant holds). No personal data is in either code: the payload carries a commitment.

import { api } from "../core/api.js";
import { loadZxing } from "../core/barcode_decoder.js";
import { b64decode, ed25519Verify, eventSigningInput, hex, keyIdOf, sha256 } from "../core/crypto.js";
import { register } from "../core/i18n.js";

register({
  "zh-CN": {
    "cosign.not_request": "这不是发货会签请求码。请扫描商家扫码台上显示的“会签请求”。",
    "cosign.not_answer": "这不是揽收员的会签码。请扫描揽收员手机上显示的“会签码”。",
    "cosign.unknown_key": "签名所用的密钥未在该主体名下登记，或已被吊销。",
    "cosign.bad_signature": "签名验证失败：内容与签名不符。",
    "cosign.digest_mismatch": "该会签码对应的是另一份发货单（指纹不符）。",
    "cosign.wrong_company": "会签人不属于本单发货所选的快递企业。",
    "cosign.not_staff": "会签人必须是快递从业人员。",
    "cosign.expired": "已超过会签时限（发货签名后 5 分钟内），请重新生成会签请求。",
  },
  en: {
    "cosign.not_request": "This is not a dispatch countersignature request. Scan the request shown on the merchant console.",
    "cosign.not_answer": "This is not a courier's countersignature. Scan the code shown on the courier's phone.",
    "cosign.unknown_key": "The signing key is not registered to that party, or it has been revoked.",
    "cosign.bad_signature": "The signature does not verify: content and signature do not match.",
    "cosign.digest_mismatch": "This countersignature belongs to another dispatch (fingerprints differ).",
    "cosign.wrong_company": "The countersigner does not work for the courier company chosen for this dispatch.",
    "cosign.not_staff": "The countersigner must be a courier staff member.",
    "cosign.expired": "The countersignature window (5 minutes after the dispatch was signed) has passed; prepare a new request.",
  },
});

const REQUEST = "TS-DISPATCH/1 ";
const ANSWER = "TS-COSIGN/1 ";

/** A code that is not a countersignature request or answer; `messageKey` says which. */
export class ExchangeError extends Error {
  constructor(messageKey) {
    super(messageKey);
    this.messageKey = messageKey;
  }
}

/** A short fingerprint of what is signed, shown on both devices so people can compare. */
export async function payloadDigest(payload) {
  return hex(await sha256(eventSigningInput(payload))).slice(0, 12);
}

export function encodeRequest(payload, signature, merchant) {
  return REQUEST + JSON.stringify({ payload, signature, merchant });
}

export function decodeRequest(text) {
  const trimmed = String(text ?? "").trim();
  if (!trimmed.startsWith(REQUEST)) throw new ExchangeError("cosign.not_request");
  let data;
  try {
    data = JSON.parse(trimmed.slice(REQUEST.length));
  } catch {
    throw new ExchangeError("cosign.not_request");
  }
  const p = data?.payload;
  if (!p || p.type !== "dispatch" || !data.signature?.keyid || !data.signature?.sig || !data.merchant) {
    throw new ExchangeError("cosign.not_request");
  }
  return data;
}

export function encodeAnswer(answer) {
  return ANSWER + JSON.stringify(answer);
}

export function decodeAnswer(text) {
  const trimmed = String(text ?? "").trim();
  if (!trimmed.startsWith(ANSWER)) throw new ExchangeError("cosign.not_answer");
  try {
    const data = JSON.parse(trimmed.slice(ANSWER.length));
    if (data?.keyid && data?.sig && data?.party_id && data?.digest) return data;
  } catch {
    // fall through
  }
  throw new ExchangeError("cosign.not_answer");
}

/**
 * Check that `sig` over `payload` verifies with `keyid`, a registered unrevoked key of
 * `partyId` (from its public key list). Returns the party's public record.
 * Raises ExchangeError (cosign.bad_signature / cosign.unknown_key).
 */
export async function verifyPartySignature(partyId, keyid, sig, payload) {
  const id = encodeURIComponent(partyId);
  const [party, keys] = await Promise.all([api.get(`/parties/${id}`), api.get(`/parties/${id}/keys`)]);
  const key = keys.find((k) => k.keyid === keyid && !k.revoked_at);
  if (!key) throw new ExchangeError("cosign.unknown_key");
  const raw = b64decode(key.public_key);
  if ((await keyIdOf(raw)) !== keyid) throw new ExchangeError("cosign.unknown_key");
  const ok = await ed25519Verify(raw, b64decode(sig), eventSigningInput(payload)).catch(() => false);
  if (!ok) throw new ExchangeError("cosign.bad_signature");
  return party;
}

/** A QR code of an exchange code as an SVG element (ZXing's encoder, served from /vendor). */
export async function qrSvg(text, size = 280) {
  const ZXing = await loadZxing();
  const hints = new Map([
    [ZXing.EncodeHintType.ERROR_CORRECTION, "L"],
    [ZXing.EncodeHintType.CHARACTER_SET, "UTF-8"],
    [ZXing.EncodeHintType.MARGIN, 2],
  ]);
  const svg = new ZXing.BrowserQRCodeSvgWriter().write(text, size, size, hints);
  svg.setAttribute("role", "img");
  return svg;
}
