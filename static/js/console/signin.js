// Signing in with a key held in the browser (merchant console and courier view). The key file's
// private key becomes a non-extractable WebCrypto key in IndexedDB (core/keys.js): the page can
// ask it to sign, nothing can read it back, and the service never signs for anyone.

import { api } from "../core/api.js";
import { register, t } from "../core/i18n.js";
import { forgetIdentity, identitiesOfKind, identityFromKeyFile, saveIdentity } from "../core/keys.js";
import { alertBox, badge, fact, fill, h, remembered } from "./page.js";

const KIND_KEYS = ["merchant", "staff", "outlet", "courier_company", "platform", "regulator", "buyer"];

register({
  "zh-CN": {
    "signin.import": "导入密钥文件",
    "signin.import_hint": "选择本单位的密钥文件（JSON）。私钥导入后以不可导出的形式保存在本浏览器中，只在本机签名；服务器从不代您签名。",
    "signin.signed_in": "已登录",
    "signin.party_id": "主体编号",
    "signin.keyid": "密钥编号",
    "signin.registration": "登记状态",
    "signin.checking": "正在核对…",
    "signin.registered": "密钥已登记，有效",
    "signin.unregistered": "该密钥未在服务中登记",
    "signin.revoked": "该密钥已被吊销",
    "signin.inactive": "主体状态：{status}",
    "signin.offline": "暂时无法核对登记",
    "signin.kept": "私钥保存在本浏览器中，不可导出；退出时将从本机删除。",
    "signin.switch": "切换身份",
    "signin.sign_out": "退出并删除本机密钥",
    "signin.confirm": "确定退出吗？本机将删除该私钥，之后需重新导入密钥文件才能签名。",
    "signin.confirm_yes": "确定退出",
    "signin.cancel": "取消",
    "signin.wrong_kind": "这是“{kind}”的密钥文件，本页面需要{wanted}的密钥。",
    "signin.or": "或",
    "keys.file.not_json": "该文件不是有效的 JSON 密钥文件。",
    "keys.file.no_key": "该文件中没有私钥和公钥。",
    "keys.file.bad_base64": "密钥不是有效的 base64 编码。",
    "keys.file.bad_length": "密钥长度不对（应为 32 字节）。",
    "keys.file.keyid_mismatch": "文件中的密钥编号与公钥不符。",
    "keys.file.key_mismatch": "私钥与公钥不匹配。",
    "kind.merchant": "商家",
    "kind.staff": "快递从业人员",
    "kind.outlet": "快递网点",
    "kind.courier_company": "快递企业",
    "kind.platform": "电商平台",
    "kind.regulator": "监管部门",
    "kind.buyer": "买家",
  },
  en: {
    "signin.import": "Import key file",
    "signin.import_hint": "Choose your organisation's key file (JSON). The private key is kept in this browser as a non-extractable key and signs only here; the service never signs for you.",
    "signin.signed_in": "Signed in",
    "signin.party_id": "Party id",
    "signin.keyid": "Key id",
    "signin.registration": "Registration",
    "signin.checking": "Checking…",
    "signin.registered": "Key registered and valid",
    "signin.unregistered": "This key is not registered with the service",
    "signin.revoked": "This key has been revoked",
    "signin.inactive": "Party status: {status}",
    "signin.offline": "Cannot check the registration now",
    "signin.kept": "The private key stays in this browser and cannot be exported; signing out deletes it from this device.",
    "signin.switch": "Switch identity",
    "signin.sign_out": "Sign out and delete the key from this device",
    "signin.confirm": "Sign out? The private key will be deleted from this device; you will need the key file again to sign.",
    "signin.confirm_yes": "Sign out",
    "signin.cancel": "Cancel",
    "signin.wrong_kind": "This is a key file of a {kind}; this page needs a key of a {wanted}.",
    "signin.or": " or ",
    "keys.file.not_json": "This file is not a valid JSON key file.",
    "keys.file.no_key": "This file holds no private and public key.",
    "keys.file.bad_base64": "The key is not valid base64.",
    "keys.file.bad_length": "The key has the wrong length (32 bytes expected).",
    "keys.file.keyid_mismatch": "The key id in the file does not match its public key.",
    "keys.file.key_mismatch": "The private key does not match the public key.",
    "kind.merchant": "merchant",
    "kind.staff": "courier staff member",
    "kind.outlet": "courier outlet",
    "kind.courier_company": "courier company",
    "kind.platform": "platform",
    "kind.regulator": "regulator",
    "kind.buyer": "buyer",
  },
});

export function kindName(kind) {
  return KIND_KEYS.includes(kind) ? t(`kind.${kind}`) : kind;
}

/** The party's public record and whether `keyid` is one of its registered, unrevoked keys. */
async function checkRegistration(identity) {
  if (!identity.party_id) return { state: "unregistered" };
  try {
    const id = encodeURIComponent(identity.party_id);
    const [party, keys] = await Promise.all([api.get(`/parties/${id}`), api.get(`/parties/${id}/keys`)]);
    const key = keys.find((k) => k.keyid === identity.keyid);
    if (!key) return { state: "unregistered", party };
    if (key.revoked_at && Date.parse(key.revoked_at) <= Date.now()) return { state: "revoked", party };
    if (party.status !== "active") return { state: "inactive", party };
    return { state: "registered", party };
  } catch (error) {
    return { state: error?.status === 404 ? "unregistered" : "offline" };
  }
}

/**
 * Mount the sign-in card in `root` for identities of `kinds`; calls onChange(identity, party)
 * when someone signs in, switches or signs out (identity null). Returns {current()}.
 */
export function mountSignIn(root, { kinds, pageKey, titleKey, onChange }) {
  const activeKey = `${pageKey}.active_key`;
  let identity = null;
  let others = [];
  let registration = { state: "checking" };
  let confirming = false;
  const body = h("div", { class: "signin-body" });
  const problem = h("div", { class: "problem", role: "alert", hidden: true });
  const alert = alertBox(problem);
  root.replaceChildren(h("h2", { "data-i18n": titleKey }, t(titleKey)), body, problem);

  async function load() {
    const held = await identitiesOfKind(...kinds);
    const wanted = remembered.get(activeKey);
    identity = held.find((i) => i.keyid === wanted) ?? held[0] ?? null;
    others = held.filter((i) => i !== identity);
    registration = { state: "checking" };
    render();
    if (identity) {
      remembered.set(activeKey, identity.keyid);
      const checked = identity;
      const result = await checkRegistration(checked);
      if (identity !== checked) return;
      registration = result;
      render();
    }
    await onChange(identity, registration.party ?? null);
    // Screenshot and test tooling waits for this: the sign-in state is settled and shown.
    document.body.dataset.ready = "true";
  }

  async function importFile(file) {
    alert.clear();
    try {
      const candidate = await identityFromKeyFile(await file.text());
      if (!kinds.includes(candidate.kind)) {
        alert.message("signin.wrong_kind", {
          kind: kindName(candidate.kind),
          wanted: kinds.map(kindName).join(t("signin.or")),
        });
        return;
      }
      await saveIdentity(candidate);
      remembered.set(activeKey, candidate.keyid);
      await load();
    } catch (error) {
      alert.error(error);
    }
  }

  async function signOut() {
    await forgetIdentity(identity.keyid);
    remembered.set(activeKey, null);
    confirming = false;
    await load();
  }

  function registrationBadge() {
    const state = registration.state;
    if (state === "checking") return badge("neutral", t("signin.checking"));
    if (state === "registered") return badge("ok", t("signin.registered"));
    if (state === "inactive") return badge("warn", t("signin.inactive", { status: registration.party.status }));
    if (state === "offline") return badge("warn", t("signin.offline"));
    return badge("bad", t(`signin.${state}`));
  }

  function render() {
    if (!identity) {
      const input = h("input", {
        type: "file",
        accept: "application/json,.json",
        class: "visually-hidden",
        id: `${pageKey}-keyfile`,
        "data-key-import": true,
        onchange: (event) => event.target.files[0] && importFile(event.target.files[0]),
      });
      fill(body,
        h("p", { class: "muted" }, t("signin.import_hint")),
        h("label", { class: "button file-button", for: input.id }, t("signin.import")),
        input,
      );
      return;
    }
    const name = identity.name ?? identity.party_id ?? identity.keyid;
    const switcher = others.length
      ? h(
          "label",
          { class: "switcher" },
          h("span", {}, t("signin.switch")),
          h(
            "select",
            {
              onchange: (event) => {
                remembered.set(activeKey, event.target.value);
                load();
              },
            },
            [identity, ...others].map((i) =>
              h("option", { value: i.keyid, selected: i === identity }, `${i.name ?? i.party_id} · ${i.keyid}`),
            ),
          ),
        )
      : null;
    const actions = confirming
      ? h(
          "div",
          { class: "confirm" },
          h("p", {}, t("signin.confirm")),
          h("div", { class: "row-buttons" },
            h("button", { type: "button", class: "danger", onclick: signOut }, t("signin.confirm_yes")),
            h("button", { type: "button", class: "secondary", onclick: () => ((confirming = false), render()) }, t("signin.cancel")),
          ),
        )
      : h("button", { type: "button", class: "secondary", onclick: () => ((confirming = true), render()) }, t("signin.sign_out"));
    fill(body,
      h(
        "div",
        { class: "identity-head" },
        h("span", { class: "avatar", "aria-hidden": "true" }, Array.from(name)[0]),
        h(
          "div",
          {},
          h("div", { class: "identity-name", "data-testid": "identity-name" }, name),
          h("div", { class: "muted small" }, `${kindName(identity.kind)} · ${t("signin.signed_in")}`),
        ),
      ),
      h(
        "dl",
        { class: "facts" },
        fact("signin.party_id", identity.party_id, { mono: true }),
        fact("signin.keyid", identity.keyid, { mono: true }),
        fact("signin.registration", registrationBadge()),
      ),
      h("p", { class: "muted small" }, t("signin.kept")),
      switcher,
      actions,
    );
  }

  document.addEventListener("languagechange", render);
  load().catch((error) => alert.error(error));
  return { current: () => identity, party: () => registration.party ?? null, reload: load };
}
