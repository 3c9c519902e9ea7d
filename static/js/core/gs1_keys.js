// GS1 keys as the service spells them (trace_service/codes/digital_link.py): a GTIN or SSCC
// with its mod-10 check digit, a serial or lot in character set 82, and an item's subject id.
// A bad check digit is caught here, before anything is signed, saying which digit was expected.

import { register } from "./i18n.js";
import { ScanError } from "./scan_error.js";

register({
  "zh-CN": {
    "scan.gtin_digits": "商品条码（GTIN）只能由数字 0–9 组成：{code}",
    "scan.gtin_length": "商品条码（GTIN）应为 8、12、13 或 14 位，这里是 {length} 位：{code}",
    "scan.gtin_check": "商品条码 {code} 的校验位是 {found}，正确应为 {expected}。请核对条码是否输错或印错。",
    "scan.sscc_digits": "物流单元代码（SSCC）只能由数字组成：{code}",
    "scan.sscc_length": "物流单元代码（SSCC）应为 18 位，这里是 {length} 位：{code}",
    "scan.sscc_check": "物流单元代码 {code} 的校验位是 {found}，正确应为 {expected}。请核对。",
    "scan.serial_empty": "{what}不能为空。",
    "scan.serial_long": "{what}最多 20 个字符，这里有 {length} 个。",
    "scan.serial_char": "{what}第 {position} 个字符“{char}”不在 GS1 允许的字符集中（字母、数字和常用符号，不含空格和中文）。",
    "scan.what.serial": "序列号",
    "scan.what.lot": "批号",
  },
  en: {
    "scan.gtin_digits": "A barcode number (GTIN) has only the digits 0–9: {code}",
    "scan.gtin_length": "A GTIN has 8, 12, 13 or 14 digits; this one has {length}: {code}",
    "scan.gtin_check": "GTIN {code} ends in check digit {found}, but it should be {expected}. Check for a typing or printing error.",
    "scan.sscc_digits": "An SSCC has only digits: {code}",
    "scan.sscc_length": "An SSCC has 18 digits; this one has {length}: {code}",
    "scan.sscc_check": "SSCC {code} ends in check digit {found}, but it should be {expected}.",
    "scan.serial_empty": "The {what} must not be empty.",
    "scan.serial_long": "The {what} has at most 20 characters; this one has {length}.",
    "scan.serial_char": "Character {position} of the {what}, \"{char}\", is not in the GS1 character set (letters, digits and common symbols; no spaces or Chinese).",
    "scan.what.serial": "serial number",
    "scan.what.lot": "lot number",
  },
});

export const GTIN_LENGTHS = [8, 12, 13, 14];
export const DIGITS = /^[0-9]+$/;
// GS1 General Specifications figure 7.11-1: the 82 characters allowed in AI 10 and AI 21.
const CS82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]$/;

/** The GS1 mod-10 check digit of a key body (GTIN, SSCC): weights 3, 1, 3… from the right. */
export function gs1CheckDigit(body) {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const digit = body.charCodeAt(body.length - 1 - i) - 48;
    sum += digit * (i % 2 === 0 ? 3 : 1);
  }
  return String((10 - (sum % 10)) % 10);
}

function checkNumericKey(raw, lengths, prefix) {
  if (!DIGITS.test(raw)) throw new ScanError(`scan.${prefix}_digits`, { code: raw });
  if (!lengths.includes(raw.length)) {
    throw new ScanError(`scan.${prefix}_length`, { code: raw, length: raw.length });
  }
  const expected = gs1CheckDigit(raw.slice(0, -1));
  if (raw.at(-1) !== expected) {
    throw new ScanError(`scan.${prefix}_check`, { code: raw, found: raw.at(-1), expected });
  }
  return raw;
}

/** A GTIN-8/12/13/14 as a GTIN-14; raises ScanError for non-digits, length or check digit. */
export function checkGtin(raw) {
  return checkNumericKey(raw, GTIN_LENGTHS, "gtin").padStart(14, "0");
}

/** An SSCC-18; raises ScanError for non-digits, length or check digit. */
export function checkSscc(raw) {
  return checkNumericKey(raw, [18], "sscc");
}

/** A serial (AI 21) or lot (AI 10): 1–20 characters of GS1 character set 82. */
export function checkSerial(raw, what = "serial") {
  if (!raw) throw new ScanError("scan.serial_empty", { what });
  const chars = Array.from(raw);
  if (chars.length > 20) throw new ScanError("scan.serial_long", { what, length: chars.length });
  chars.forEach((char, i) => {
    if (!CS82.test(char)) throw new ScanError("scan.serial_char", { what, char, position: i + 1 });
  });
  return raw;
}

// Only URI-unreserved characters stay literal (Python's quote(value, safe="")).
function encodeValue(value) {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

export function itemSubject(gtin14, serial) {
  return `01/${gtin14}/21/${encodeValue(serial)}`;
}

export function lotSubject(gtin14, lot) {
  return `01/${gtin14}/10/${encodeValue(lot)}`;
}
