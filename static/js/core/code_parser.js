// What a scan or a person's typing names: a Digital Link URI, a GS1 element string, raw GS1 data
// (GS1-128, DataMatrix, QR) or a courier's waybill number, read into the service's subject ids
// as trace_service/codes/digital_link.py does.

import { register } from "./i18n.js";
import { DIGITS, GTIN_LENGTHS, checkGtin, checkSerial, checkSscc, itemSubject, lotSubject } from "./gs1_keys.js";
import { ScanError } from "./scan_error.js";

register({
  "zh-CN": {
    "scan.empty": "没有读到内容，请重新扫码或输入。",
    "scan.unsupported_ai": "不支持应用标识符（{ai}）。",
    "scan.duplicate_ai": "应用标识符（{ai}）重复出现。",
    "scan.ai_order": "数字链接中 01 之后只能依次跟 10（批号）和 21（序列号）。",
    "scan.gtin14_path": "数字链接路径中的商品条码须写成 14 位：{padded}（这里是 {code}）。",
    "scan.sscc_alone": "SSCC（00）单独标识一个包裹，不能与其他标识同时出现。",
    "scan.no_key": "没有找到商品条码（01）或物流单元代码（00）。",
    "scan.malformed": "无法解析 GS1 数据：{text}",
    "scan.not_http": "数字链接必须是 http 或 https 网址。",
    "scan.unknown": "无法识别的码：{text}",
    "scan.need_item": "这是包裹码，请扫描商品上的二维码或条码。",
    "scan.need_parcel": "这是商品码，请扫描包裹的 SSCC 或运单号。",
  },
  en: {
    "scan.empty": "Nothing was read. Scan again or type the code.",
    "scan.unsupported_ai": "Application identifier ({ai}) is not supported.",
    "scan.duplicate_ai": "Application identifier ({ai}) appears twice.",
    "scan.ai_order": "In a Digital Link, 01 may be followed only by 10 (lot) then 21 (serial).",
    "scan.gtin14_path": "A Digital Link path writes the GTIN with 14 digits: {padded} (not {code}).",
    "scan.sscc_alone": "An SSCC (00) names a parcel on its own; it cannot come with other keys.",
    "scan.no_key": "No GTIN (01) or SSCC (00) found.",
    "scan.malformed": "Cannot read this GS1 data: {text}",
    "scan.not_http": "A Digital Link must be an http or https address.",
    "scan.unknown": "Unrecognised code: {text}",
    "scan.need_item": "This is a parcel code; scan the QR code or barcode on the product.",
    "scan.need_parcel": "This is a product code; scan the parcel's SSCC or waybill number.",
  },
});

const GS = "\u001d"; // FNC1 between GS1 fields, as scanners send it (ASCII group separator)

function fromAis(pairs) {
  const ais = new Map();
  for (const [ai, value] of pairs) {
    if (ai === "22" || ai === "235") throw new ScanError("scan.unsupported_ai", { ai });
    if (!["00", "01", "10", "21"].includes(ai)) continue; // attributes such as (17) expiry
    if (ais.has(ai)) throw new ScanError("scan.duplicate_ai", { ai });
    ais.set(ai, value);
  }
  if (ais.has("00")) {
    if (ais.size > 1) throw new ScanError("scan.sscc_alone");
    const sscc = checkSscc(ais.get("00"));
    return { kind: "parcel", sscc, subject: `00/${sscc}` };
  }
  if (!ais.has("01")) throw new ScanError("scan.no_key");
  const gtin = checkGtin(ais.get("01"));
  const lot = ais.has("10") ? checkSerial(ais.get("10"), "lot") : null;
  if (ais.has("21")) {
    const serial = checkSerial(ais.get("21"));
    return { kind: "item", gtin, serial, lot, subject: itemSubject(gtin, serial) };
  }
  if (lot !== null) return { kind: "lot", gtin, lot, subject: lotSubject(gtin, lot) };
  return { kind: "product", gtin };
}

function fromPath(path) {
  const segments = path.replace(/^\/+/, "").split("/");
  // A resolver may put its own path before the primary key.
  const start = segments.findIndex((s, i) => (s === "00" || s === "01") && (segments.length - i) % 2 === 0);
  if (start < 0) throw new ScanError("scan.unknown", { text: path });
  const pairs = [];
  for (let i = start; i < segments.length; i += 2) {
    let value;
    try {
      value = decodeURIComponent(segments[i + 1]);
    } catch {
      throw new ScanError("scan.malformed", { text: segments[i + 1] });
    }
    pairs.push([segments[i], value]);
  }
  // GS1 Digital Link writes the GTIN with 14 digits; the service refuses shorter ones there
  // (trace_service/codes/dl_uri.py check_path_gtin), so the browser does too.
  const [key, keyValue] = pairs[0];
  if (key === "01" && DIGITS.test(keyValue) && [8, 12, 13].includes(keyValue.length)) {
    throw new ScanError("scan.gtin14_path", { code: keyValue, padded: keyValue.padStart(14, "0") });
  }
  const qualifiers = pairs.slice(1).map(([ai]) => ai);
  if (pairs[0][0] === "01" && qualifiers.join() !== ["10", "21"].filter((q) => qualifiers.includes(q)).join()) {
    throw new ScanError("scan.ai_order");
  }
  return fromAis(pairs);
}

function fromElementString(text) {
  // A value may hold "(" and ")" (character set 82): only "(" digits ")" starts the next AI.
  const markers = [...text.matchAll(/\((\d{2,4})\)/g)];
  if (!markers.length || markers[0].index !== 0) throw new ScanError("scan.malformed", { text });
  const pairs = markers.map((m, i) => {
    const end = i + 1 < markers.length ? markers[i + 1].index : text.length;
    return [m[1], text.slice(m.index + m[0].length, end)];
  });
  return fromAis(pairs);
}

// The length of an AI by its first two digits, and the AIs whose data has a predefined length
// (no FNC1 separator follows them): GS1 General Specifications figures 7.8.5-1 and 7.8.5-2.
function aiLength(two) {
  const n = Number(two);
  if (n <= 22 || n === 30 || n === 37 || n >= 90) return 2;
  if ((n >= 23 && n <= 25) || (n >= 40 && n <= 42)) return 3;
  if ((n >= 31 && n <= 36) || n === 39 || n === 43 || (n >= 70 && n <= 72) || (n >= 80 && n <= 82)) return 4;
  return 0;
}
const PREDEFINED = { "00": 18, "01": 14, "02": 14, "03": 14, "04": 16, "20": 2, "41": 13 };
function predefinedLength(two) {
  const n = Number(two);
  if (n >= 11 && n <= 19) return 6;
  if (n >= 31 && n <= 36) return 6;
  return PREDEFINED[two] ?? 0;
}

/** Raw GS1 data (GS1-128, DataMatrix, QR): AIs back to back, FNC1 (GS) after variable ones. */
function parseRawGs1(text) {
  const pairs = [];
  let at = 0;
  while (at < text.length) {
    if (text[at] === GS) {
      at++;
      continue;
    }
    const two = text.slice(at, at + 2);
    const length = DIGITS.test(two) ? aiLength(two) : 0;
    const ai = text.slice(at, at + length);
    if (!length || !DIGITS.test(ai) || ai.length !== length) throw new ScanError("scan.malformed", { text });
    const fixed = predefinedLength(two);
    let value;
    if (fixed) {
      value = text.slice(at + length, at + length + fixed);
      if (value.length !== fixed) throw new ScanError("scan.malformed", { text });
      at += length + fixed;
    } else {
      const end = text.indexOf(GS, at + length);
      value = text.slice(at + length, end < 0 ? text.length : end);
      at = end < 0 ? text.length : end;
    }
    pairs.push([ai, value]);
  }
  return fromAis(pairs);
}

const WAYBILL_NUMBER = /^[A-Za-z0-9]{6,30}$/;
const WAYBILL_SUBJECT = /^\/?wb\/([A-Za-z0-9_-]{1,32})\/([A-Za-z0-9]{6,30})$/;

function waybill(courier, number) {
  return { kind: "parcel", waybill: number, courier, subject: `wb/${courier}/${number}` };
}

function parseAny(text, expect, courier) {
  if (text.includes("://")) {
    let url;
    try {
      url = new URL(text);
    } catch {
      throw new ScanError("scan.unknown", { text });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new ScanError("scan.not_http");
    return fromPath(url.pathname);
  }
  const typed = WAYBILL_SUBJECT.exec(text);
  if (typed) return waybill(typed[1], typed[2]);
  if (/^\/?0[01]\//.test(text)) return fromPath(text);
  if (text.startsWith("(")) return fromElementString(text);
  if (DIGITS.test(text)) {
    if (text.length === 18) return fromAis([["00", text]]);
    if (expect === "parcel") {
      if (text.length === 20 && text.startsWith("00")) return fromAis([["00", text.slice(2)]]);
      if (courier && WAYBILL_NUMBER.test(text)) return waybill(courier, text);
    }
    if (GTIN_LENGTHS.includes(text.length)) return fromAis([["01", text]]);
  }
  if (text.includes(GS)) return parseRawGs1(text);
  try {
    return parseRawGs1(text);
  } catch (error) {
    if (courier && WAYBILL_NUMBER.test(text)) return waybill(courier, text);
    if (error instanceof ScanError && error.messageKey !== "scan.malformed") throw error;
    throw new ScanError("scan.unknown", { text });
  }
}

/**
 * What a scan or a person's typing names: {kind: "item"|"lot"|"parcel"|"product", gtin,
 * serial, lot, sscc, waybill, subject}. "product" is a GTIN alone (ask for the serial).
 * `expect` ("item", "parcel" or "any") refuses the other kind; `courier` (a courier company's
 * party id) lets a bare number be read as that company's waybill number.
 * Raises ScanError naming the fault (a wrong check digit says which digit was expected).
 */
export function parseScan(raw, { expect = "any", courier = null } = {}) {
  let text = String(raw ?? "").replace(/\u241d/g, GS).trim();
  const symbology = /^\][A-Za-z][0-9A-Za-z]/.exec(text);
  if (symbology) text = text.slice(3); // ]C1 GS1-128, ]d2 DataMatrix, ]Q3 QR, ]e0 DataBar
  if (text.startsWith(GS)) text = text.slice(1);
  if (!text) throw new ScanError("scan.empty");
  const result = parseAny(text, expect, courier);
  if (expect === "item" && result.kind === "parcel") throw new ScanError("scan.need_item");
  if (expect === "parcel" && result.kind !== "parcel") throw new ScanError("scan.need_parcel");
  return result;
}
