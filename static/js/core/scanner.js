// Reading product and parcel codes on the device: parsing what a scan or a person typed into the
// service's subject ids (as trace_service/codes/digital_link.py does, so a bad check digit is
// caught before anything is signed), and decoding QR codes and barcodes from the camera or a
// photo (BarcodeDetector where the browser has it, ZXing from /vendor otherwise).

import { register, t } from "./i18n.js";

register({
  "zh-CN": {
    "scan.empty": "没有读到内容，请重新扫码或输入。",
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
    "scan.image_none": "图片中没有找到可识别的二维码或条码。请对准、拍清楚后重试。",
    "scan.image_unreadable": "无法打开该图片文件。",
    "scan.camera_insecure": "浏览器只在安全连接（HTTPS）下开放相机。可改用拍照上传或手动输入。",
    "scan.camera_none": "没有找到可用的相机。可改用拍照上传或手动输入。",
    "scan.camera_denied": "相机权限被拒绝。请在浏览器设置中允许使用相机，或改用拍照上传。",
    "scan.camera_failed": "无法打开相机：{detail}",
    "scan.decoder_failed": "无法加载条码识别组件。",
  },
  en: {
    "scan.empty": "Nothing was read. Scan again or type the code.",
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
    "scan.image_none": "No QR code or barcode found in the picture. Hold steady, fill the frame and try again.",
    "scan.image_unreadable": "This image file cannot be opened.",
    "scan.camera_insecure": "Browsers open the camera only over a secure (HTTPS) connection. Take a photo or type the code instead.",
    "scan.camera_none": "No camera found. Take a photo or type the code instead.",
    "scan.camera_denied": "Camera access was refused. Allow it in the browser settings, or take a photo instead.",
    "scan.camera_failed": "Cannot open the camera: {detail}",
    "scan.decoder_failed": "The barcode reader could not be loaded.",
  },
});

/** A code that cannot be used, with an i18n key and its parameters. */
export class ScanError extends Error {
  constructor(messageKey, params = {}) {
    super(messageKey);
    this.messageKey = messageKey;
    this.params = params;
  }
}

export function scanErrorMessage(error) {
  if (error instanceof ScanError) {
    const params = { ...error.params };
    if (params.what) params.what = t(`scan.what.${params.what}`);
    return t(error.messageKey, params);
  }
  return String(error?.message ?? error);
}

// ---- GS1 keys ------------------------------------------------------------------------------

const GTIN_LENGTHS = [8, 12, 13, 14];
const DIGITS = /^[0-9]+$/;
// GS1 General Specifications figure 7.11-1: the 82 characters allowed in AI 10 and AI 21.
const CS82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]$/;
const GS = "\u001d";

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

// ---- Parsing -------------------------------------------------------------------------------

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
  if (lot !== null) return { kind: "lot", gtin, lot, subject: `01/${gtin}/10/${encodeValue(lot)}` };
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

// ---- Decoding images and camera frames -----------------------------------------------------

const NATIVE_FORMATS = ["qr_code", "data_matrix", "ean_13", "ean_8", "upc_a", "code_128", "itf"];
let zxingLoading = null;

/** Load ZXing (the UMD build served from /vendor) once, as a same-origin script. */
export function loadZxing() {
  if (window.ZXing) return Promise.resolve(window.ZXing);
  zxingLoading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/vendor/@zxing/library/umd/index.min.js";
    script.onload = () => resolve(window.ZXing);
    script.onerror = () => {
      zxingLoading = null;
      reject(new ScanError("scan.decoder_failed"));
    };
    document.head.append(script);
  });
  return zxingLoading;
}

async function nativeDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const supported = await window.BarcodeDetector.getSupportedFormats();
    const formats = NATIVE_FORMATS.filter((f) => supported.includes(f));
    return formats.length ? new window.BarcodeDetector({ formats }) : null;
  } catch {
    return null;
  }
}

function zxingDecode(ZXing, canvas) {
  const hints = new Map([
    [ZXing.DecodeHintType.POSSIBLE_FORMATS, [
      ZXing.BarcodeFormat.QR_CODE, ZXing.BarcodeFormat.DATA_MATRIX, ZXing.BarcodeFormat.EAN_13,
      ZXing.BarcodeFormat.EAN_8, ZXing.BarcodeFormat.UPC_A, ZXing.BarcodeFormat.CODE_128,
      ZXing.BarcodeFormat.ITF,
    ]],
    [ZXing.DecodeHintType.TRY_HARDER, true],
  ]);
  const reader = new ZXing.MultiFormatReader();
  reader.setHints(hints);
  const source = new ZXing.HTMLCanvasElementLuminanceSource(canvas);
  try {
    return reader.decode(new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(source))).getText();
  } catch {
    return null; // NotFound, checksum or format errors: nothing readable in this frame
  }
}

// ZXing's finder-pattern search sometimes fixes on a false pattern in a clean, perfectly square
// symbol (about 3 in 100 of the service's own labels at 0°); turned by 180° or 270° it reads.
const TURNS = [0, 180, 270, 90];

function drawScaled(image, width, height, maxSide, turn = 0, canvas = document.createElement("canvas")) {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const sideways = turn === 90 || turn === 270;
  canvas.width = sideways ? h : w;
  canvas.height = sideways ? w : h;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.setTransform(1, 0, 0, 1, 0, 0);
  context.fillStyle = "#fff"; // transparent PNGs decode as black on black otherwise
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.translate(canvas.width / 2, canvas.height / 2);
  context.rotate((turn * Math.PI) / 180);
  context.drawImage(image, -w / 2, -h / 2, w, h);
  return canvas;
}

/** The text of the first QR code or barcode in an image file (a photo or a saved picture). */
export async function decodeImageFile(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new ScanError("scan.image_unreadable");
  }
  try {
    const detector = await nativeDetector();
    if (detector) {
      const found = await detector.detect(bitmap).catch(() => []);
      if (found.length) return found[0].rawValue;
    }
    const ZXing = await loadZxing();
    // Large phone photos are slow to binarise; a smaller copy usually reads, else try others.
    for (const side of [1200, 600, 2400]) {
      for (const turn of TURNS) {
        const text = zxingDecode(ZXing, drawScaled(bitmap, bitmap.width, bitmap.height, side, turn));
        if (text) return text;
      }
      if (Math.max(bitmap.width, bitmap.height) <= side) break;
    }
    throw new ScanError("scan.image_none");
  } finally {
    bitmap.close();
  }
}

/** Whether this page may open a camera (browsers require a secure context). */
export function cameraSupported() {
  return Boolean(window.isSecureContext && navigator.mediaDevices?.getUserMedia);
}

function cameraError(error) {
  if (!cameraSupported()) return new ScanError("scan.camera_insecure");
  if (error?.name === "NotAllowedError" || error?.name === "SecurityError") return new ScanError("scan.camera_denied");
  if (error?.name === "NotFoundError" || error?.name === "OverconstrainedError") return new ScanError("scan.camera_none");
  return new ScanError("scan.camera_failed", { detail: error?.message ?? String(error) });
}

/**
 * Show the back camera in `video` and read frames until a code is found; calls onText(text)
 * once and stops. Returns a function that stops the camera. Raises ScanError if it cannot start.
 */
export async function startCamera(video, onText) {
  if (!cameraSupported()) throw new ScanError("scan.camera_insecure");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: "environment" } },
      audio: false,
    });
  } catch (error) {
    throw cameraError(error);
  }
  let stopped = false;
  const stop = () => {
    stopped = true;
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  video.setAttribute("playsinline", "");
  video.muted = true;
  video.srcObject = stream;
  await video.play().catch(() => {});
  const detector = await nativeDetector();
  const ZXing = detector ? null : await loadZxing().catch((error) => (stop(), Promise.reject(error)));
  const canvas = document.createElement("canvas");
  let frames = 0;
  const tick = async () => {
    if (stopped) return;
    let text = null;
    try {
      if (video.readyState >= 2 && video.videoWidth > 0) {
        if (detector) {
          const found = await detector.detect(video).catch(() => []);
          text = found[0]?.rawValue ?? null;
        } else {
          const turn = TURNS[frames++ % TURNS.length]; // one reading per frame, each turned in turn
          text = zxingDecode(ZXing, drawScaled(video, video.videoWidth, video.videoHeight, 800, turn, canvas));
        }
      }
    } catch {
      text = null; // a frame that cannot be read yet (the stream is starting or resizing)
    }
    if (text && !stopped) {
      stop();
      onText(text);
    } else if (!stopped) {
      setTimeout(tick, 180);
    }
  };
  tick();
  return stop;
}
