// Reading a QR code or barcode from pixels: a photo, a saved picture or a camera frame, with
// BarcodeDetector where the browser has it and ZXing from /vendor otherwise.

import { register } from "./i18n.js";
import { ScanError } from "./scan_error.js";

register({
  "zh-CN": {
    "scan.image_none": "图片中没有找到可识别的二维码或条码。请对准、拍清楚后重试。",
    "scan.image_unreadable": "无法打开该图片文件。",
    "scan.decoder_failed": "无法加载条码识别组件。",
  },
  en: {
    "scan.image_none": "No QR code or barcode found in the picture. Hold steady, fill the frame and try again.",
    "scan.image_unreadable": "This image file cannot be opened.",
    "scan.decoder_failed": "The barcode reader could not be loaded.",
  },
});

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

/**
 * A reader of live video frames: read(video) gives the text of a code in the current frame or
 * null. ZXing reads one turn a frame, turning in turn. Raises ScanError if no decoder loads.
 */
export async function frameReader() {
  const detector = await nativeDetector();
  if (detector) {
    return async (video) => (await detector.detect(video).catch(() => []))[0]?.rawValue ?? null;
  }
  const ZXing = await loadZxing();
  const canvas = document.createElement("canvas");
  let frames = 0;
  return async (video) => {
    const turn = TURNS[frames++ % TURNS.length];
    return zxingDecode(ZXing, drawScaled(video, video.videoWidth, video.videoHeight, 800, turn, canvas));
  };
}
