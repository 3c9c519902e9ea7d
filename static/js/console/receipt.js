// The receipt of a submitted event, checked in the browser: the leaf is the hash of exactly the
// envelope signed on this device, the checkpoint is signed by the log's key, and the inclusion
// proof leads from that leaf to the checkpoint's root (core/evidence.js verifyReceipt).

import { b64decode, hex } from "../core/crypto.js";
import { loadLogState, verifyReceipt } from "../core/evidence.js";
import { formatTime, register, t } from "../core/i18n.js";
import { eventName } from "./events.js";
import { badge, fact, fill, h, joinNames } from "./page.js";

register({
  "zh-CN": {
    "receipt.title": "回执",
    "receipt.recorded": "{event}已签名并写入透明日志",
    "receipt.duplicate": "该事件此前已提交过，这是原回执",
    "receipt.subject": "对象",
    "receipt.index": "日志序号",
    "receipt.leaf": "叶哈希",
    "receipt.tree_size": "检查点树大小",
    "receipt.hash": "事件哈希",
    "receipt.integrated": "写入时间",
    "receipt.signers": "签名人",
    "receipt.verifying": "正在本机验证…",
    "receipt.verified": "包含性已验证",
    "receipt.failed": "验证未通过",
    "receipt.verified_note": "以上证明在本浏览器中独立验证，不依赖服务器的说法。",
    "receipt.step.leaf": "叶哈希与本机签名的信封逐字节一致",
    "receipt.step.checkpoint": "检查点由日志密钥签名",
    "receipt.step.inclusion": "包含证明从该叶通向检查点根哈希",
    "receipt.step_ok": "通过",
    "receipt.step_bad": "未通过",
    "receipt.consumer": "查看消费者页面：{subject}",
  },
  en: {
    "receipt.title": "Receipt",
    "receipt.recorded": "{event} signed and written to the transparency log",
    "receipt.duplicate": "This event had already been submitted; here is its receipt",
    "receipt.subject": "Subject",
    "receipt.index": "Log index",
    "receipt.leaf": "Leaf hash",
    "receipt.tree_size": "Checkpoint tree size",
    "receipt.hash": "Event hash",
    "receipt.integrated": "Logged at",
    "receipt.signers": "Signed by",
    "receipt.verifying": "Verifying on this device…",
    "receipt.verified": "Inclusion verified",
    "receipt.failed": "Verification failed",
    "receipt.verified_note": "These proofs were checked independently in this browser, not taken on the server's word.",
    "receipt.step.leaf": "The leaf hash matches, byte for byte, the envelope signed here",
    "receipt.step.checkpoint": "The checkpoint is signed by the log's key",
    "receipt.step.inclusion": "The inclusion proof leads from the leaf to the checkpoint's root",
    "receipt.step_ok": "passed",
    "receipt.step_bad": "failed",
    "receipt.consumer": "Consumer page: {subject}",
  },
});

let logKeys = null;

/** The log's verifier keys, fetched once per page (the checkpoint in each receipt is checked). */
async function keys() {
  logKeys ??= loadLogState().then((state) => state.keys).catch((error) => {
    logKeys = null;
    throw error;
  });
  return logKeys;
}

/** Verify a receipt for the envelope this device signed; {ok, steps} (never throws). */
export async function checkReceipt(receipt, envelope) {
  try {
    return await verifyReceipt(receipt, envelope, await keys());
  } catch {
    return { ok: false, steps: [{ step: "checkpoint", ok: false }] };
  }
}

/**
 * Mount a receipt card body in `root` (its h2 stays). show({receipt, envelope, signers, items})
 * renders it at once and the verification when done; `items` are subjects with consumer pages.
 */
export function mountReceipt(root) {
  const body = h("div", { class: "receipt-body", "data-testid": "receipt" });
  root.append(body);
  root.hidden = true;
  let shown = null;

  function render() {
    if (!shown) return;
    const { receipt, envelope, signers, items, result } = shown;
    const p = envelope.payload;
    const status = result === null
      ? badge("neutral", t("receipt.verifying"))
      : result.ok ? badge("ok", t("receipt.verified")) : badge("bad", t("receipt.failed"));
    fill(body,
      h("p", { class: "receipt-headline" }, t("receipt.recorded", { event: eventName(p.type) }), " ", status),
      receipt.duplicate ? h("p", { class: "muted small" }, t("receipt.duplicate")) : null,
      h(
        "dl",
        { class: "facts" },
        fact("receipt.subject", p.subject, { mono: true }),
        fact("receipt.index", String(receipt.index), { mono: true }),
        fact("receipt.leaf", hex(b64decode(receipt.leaf_hash)), { mono: true }),
        fact("receipt.tree_size", String(receipt.inclusion.tree_size), { mono: true }),
        fact("receipt.hash", receipt.hash, { mono: true }),
        fact("receipt.integrated", formatTime(receipt.integrated_at)),
        signers?.length ? fact("receipt.signers", joinNames(signers)) : null,
      ),
      result
        ? h(
            "ul",
            { class: "steps" },
            result.steps.map((s) =>
              h("li", { class: s.ok ? "ok" : "bad" }, t(`receipt.step.${s.step}`), " ", badge(s.ok ? "ok" : "bad", t(s.ok ? "receipt.step_ok" : "receipt.step_bad"))),
            ),
          )
        : null,
      result?.ok ? h("p", { class: "muted small" }, t("receipt.verified_note")) : null,
      (items ?? []).length
        ? h("ul", { class: "links" }, items.map((subject) => h("li", {}, h("a", { href: `/${subject}`, target: "_blank", rel: "noopener" }, t("receipt.consumer", { subject })))))
        : null,
    );
  }

  document.addEventListener("languagechange", render);
  return {
    async show({ receipt, envelope, signers = [], items = [] }) {
      shown = { receipt, envelope, signers, items, result: null };
      root.hidden = false;
      render();
      root.scrollIntoView({ behavior: "smooth", block: "start" });
      const current = shown;
      const result = await checkReceipt(receipt, envelope);
      if (shown !== current) return result;
      shown.result = result;
      render();
      return result;
    },
    clear() {
      shown = null;
      root.hidden = true;
      body.replaceChildren();
    },
  };
}
