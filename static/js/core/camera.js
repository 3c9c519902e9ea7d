// The back camera as a scanner: open it in a <video>, read frames until a code is found, and
// say why it cannot open (browsers give the camera only to secure pages, and only if allowed).

import { frameReader } from "./barcode_decoder.js";
import { register } from "./i18n.js";
import { ScanError } from "./scan_error.js";

register({
  "zh-CN": {
    "scan.camera_insecure": "浏览器只在安全连接（HTTPS）下开放相机。可改用拍照上传或手动输入。",
    "scan.camera_none": "没有找到可用的相机。可改用拍照上传或手动输入。",
    "scan.camera_denied": "相机权限被拒绝。请在浏览器设置中允许使用相机，或改用拍照上传。",
    "scan.camera_failed": "无法打开相机：{detail}",
  },
  en: {
    "scan.camera_insecure": "Browsers open the camera only over a secure (HTTPS) connection. Take a photo or type the code instead.",
    "scan.camera_none": "No camera found. Take a photo or type the code instead.",
    "scan.camera_denied": "Camera access was refused. Allow it in the browser settings, or take a photo instead.",
    "scan.camera_failed": "Cannot open the camera: {detail}",
  },
});

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
  const read = await frameReader().catch((error) => (stop(), Promise.reject(error)));
  const tick = async () => {
    if (stopped) return;
    let text = null;
    try {
      if (video.readyState >= 2 && video.videoWidth > 0) text = await read(video);
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
