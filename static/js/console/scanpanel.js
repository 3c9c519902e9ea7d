// The scan panel of the merchant console and the courier view: the phone camera, a photo or a
// saved picture, or typing. What is read is parsed by core/code_parser.js and checked (check digits
// included) before anything is signed; a GTIN alone asks for the item's serial number.

import { decodeImageFile } from "../core/barcode_decoder.js";
import { cameraSupported, startCamera } from "../core/camera.js";
import { parseScan } from "../core/code_parser.js";
import { checkSerial, itemSubject } from "../core/gs1_keys.js";
import { register, t } from "../core/i18n.js";
import { ScanError } from "../core/scan_error.js";
import { alertBox, h } from "./page.js";

register({
  "zh-CN": {
    "scanpanel.camera": "相机扫码",
    "scanpanel.photo": "拍照 / 选图片",
    "scanpanel.stop": "关闭相机",
    "scanpanel.aim": "将二维码或条码对准取景框",
    "scanpanel.reading": "正在识别图片…",
    "scanpanel.ok": "确定",
    "scanpanel.serial_for": "条码 {gtin} 只标识商品种类。请输入这一件商品的序列号（标签上“序列号”或 (21) 后的内容）：",
    "scanpanel.serial": "序列号",
  },
  en: {
    "scanpanel.camera": "Scan with camera",
    "scanpanel.photo": "Take / choose a photo",
    "scanpanel.stop": "Close camera",
    "scanpanel.aim": "Point the camera at the QR code or barcode",
    "scanpanel.reading": "Reading the picture…",
    "scanpanel.ok": "OK",
    "scanpanel.serial_for": "Barcode {gtin} names the product only. Enter this unit's serial number (after \"Serial\" or (21) on the label):",
    "scanpanel.serial": "Serial number",
  },
});

let panels = 0;

function onEnter(input, action) {
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.isComposing) return;
    event.preventDefault();
    action();
  });
}

/**
 * Mount a scan panel in `root`; its fields' ids start with `name` (e.g. "item-text"). `onResult(result, text)` gets a parsed scanResult (see
 * core/code_parser.js parseScan with `expect` and the courier of `courier()`), or with `raw` the
 * text as read. `labelKey`/`placeholderKey` name the typed field.
 */
export function mountScanPanel(root, { name, expect = "any", courier = () => null, raw = false, typedFirst = false, labelKey, placeholderKey, onResult }) {
  // A named panel has stable ids ("item-text", "item-photo") unless the name is taken.
  const id = name && !document.getElementById(`${name}-text`) ? name : `${name ?? "scan"}-${++panels}`;
  let stopCamera = null;
  let pendingGtin = null;

  const problem = h("div", { class: "problem", role: "alert", hidden: true });
  const alert = alertBox(problem);
  const status = h("p", { class: "muted small", role: "status", hidden: true });
  const video = h("video", { playsinline: true, muted: true, "aria-label": t("scanpanel.aim") });
  const camera = h(
    "div",
    { class: "camera", hidden: true },
    h("div", { class: "viewfinder" }, video, h("span", { class: "reticle", "aria-hidden": "true" })),
    h("p", { class: "muted small", "data-i18n": "scanpanel.aim" }, t("scanpanel.aim")),
    h("button", { type: "button", class: "secondary", "data-i18n": "scanpanel.stop", onclick: () => closeCamera() }, t("scanpanel.stop")),
  );
  const photo = h("input", {
    type: "file",
    accept: "image/*",
    capture: "environment",
    class: "visually-hidden",
    id: `${id}-photo`,
    "data-testid": "scan-photo",
    onchange: async (event) => {
      const file = event.target.files[0];
      event.target.value = "";
      if (file) await readPicture(file);
    },
  });
  const typed = h("input", {
    id: `${id}-text`,
    autocomplete: "off",
    autocapitalize: "off",
    spellcheck: "false",
    inputmode: "text",
    "data-i18n-placeholder": placeholderKey,
    placeholder: placeholderKey ? t(placeholderKey) : "",
  });
  const serialInput = h("input", { id: `${id}-serial`, autocomplete: "off", autocapitalize: "off" });
  const serialHint = h("p", {});
  // Not forms: a panel may sit inside a page's form, and Enter here must not submit that.
  onEnter(serialInput, () => submitSerial());
  onEnter(typed, () => accept(typed.value));
  const serialForm = h(
    "div",
    { class: "scan-serial", hidden: true },
    serialHint,
    h("label", { for: serialInput.id, "data-i18n": "scanpanel.serial" }, t("scanpanel.serial")),
    h("div", { class: "input-row" }, serialInput, h("button", { type: "button", "data-i18n": "scanpanel.ok", onclick: () => submitSerial() }, t("scanpanel.ok"))),
  );

  const buttons = h(
    "div",
    { class: "scan-buttons" },
    h("button", { type: "button", class: "scan-camera", onclick: () => openCamera() }, h("span", { "data-i18n": "scanpanel.camera" }, t("scanpanel.camera"))),
    h("label", { class: "button secondary", for: photo.id }, h("span", { "data-i18n": "scanpanel.photo" }, t("scanpanel.photo"))),
    photo,
  );
  const typedRow = h(
    "div",
    { class: "scan-typed" },
    h("label", { for: typed.id, "data-i18n": labelKey }, t(labelKey)),
    h("div", { class: "input-row" }, typed, h("button", { type: "button", "data-i18n": "scanpanel.ok", onclick: () => accept(typed.value) }, t("scanpanel.ok"))),
  );
  // The main scanner leads with the camera; a field inside a form leads with its label.
  const parts = typedFirst ? [typedRow, buttons] : [buttons, typedRow];
  root.replaceChildren(parts[0], camera, status, parts[1], serialForm, problem);

  function accept(text) {
    alert.clear();
    serialForm.hidden = true;
    pendingGtin = null;
    if (raw) {
      onResult(text.trim(), text);
      return;
    }
    try {
      const result = parseScan(text, { expect, courier: courier() });
      if (result.kind === "product") {
        pendingGtin = result.gtin;
        serialHint.textContent = t("scanpanel.serial_for", { gtin: result.gtin });
        serialForm.hidden = false;
        serialInput.value = "";
        serialInput.focus();
        return;
      }
      typed.value = result.subject;
      onResult(result, text);
    } catch (error) {
      alert.error(error);
    }
  }

  function submitSerial() {
    alert.clear();
    try {
      const serial = checkSerial(serialInput.value.trim());
      const result = { kind: "item", gtin: pendingGtin, serial, lot: null, subject: itemSubject(pendingGtin, serial) };
      serialForm.hidden = true;
      typed.value = result.subject;
      onResult(result, result.subject);
    } catch (error) {
      alert.error(error);
    }
  }

  async function readPicture(file) {
    alert.clear();
    status.hidden = false;
    status.textContent = t("scanpanel.reading");
    try {
      const text = await decodeImageFile(file);
      status.hidden = true;
      accept(text);
    } catch (error) {
      status.hidden = true;
      alert.error(error);
    }
  }

  async function openCamera() {
    alert.clear();
    closeCamera();
    if (!cameraSupported()) {
      alert.error(new ScanError("scan.camera_insecure"));
      return;
    }
    camera.hidden = false;
    try {
      stopCamera = await startCamera(video, (text) => {
        camera.hidden = true;
        stopCamera = null;
        accept(text);
      });
    } catch (error) {
      camera.hidden = true;
      alert.error(error);
    }
  }

  function closeCamera() {
    stopCamera?.();
    stopCamera = null;
    camera.hidden = true;
  }

  document.addEventListener("languagechange", () => {
    if (pendingGtin) serialHint.textContent = t("scanpanel.serial_for", { gtin: pendingGtin });
  });
  window.addEventListener("pagehide", closeCamera);
  return {
    /** Put a code in as if it had been scanned or typed. */
    enter: (text) => {
      typed.value = text;
      accept(text);
    },
    /** What is in the typed field (perhaps not yet confirmed). */
    value: () => typed.value.trim(),
    clear: () => {
      typed.value = "";
      alert.clear();
    },
    close: closeCamera,
  };
}
