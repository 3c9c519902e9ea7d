// The front page: the language switch, and the product names of the recent items it lists
// (the server renders their codes; the names come from the public product registry).

import { api } from "../core/api.js";
import { initLanguage, register } from "../core/i18n.js";
import { mountLanguageSwitch } from "./language.js";

register({
  "zh-CN": {
    "home.brand": "商品全过程溯源",
    "home.title": "扫码核验商品的来源与去向",
    "home.motto": "来源可查 · 去向可追 · 责任可究",
    "home.intro":
      "每件商品的上架、销售、揽收、交接、投递、签收、评价和投诉，都由经手方以数字签名记录，并写入公开的防篡改日志。用手机相机扫描商品上的二维码，即可在本机核验每一步。",
    "home.recent": "最近的商品",
    "home.empty": "尚无记录。商家登记并上架商品后，这里会列出最新的商品。",
    "home.desks": "工作台",
    "home.merchant": "商家工作台",
    "home.merchant.desc": "登记商品、打印二维码标签，扫码记录上架、销售与发货。",
    "home.courier": "快递员扫码",
    "home.courier.desc": "揽收、分拨交接与投递时扫码，用本人密钥签名。",
    "home.regulator": "监管部门",
    "home.regulator.desc": "快递企业信用评价与证据、投诉责任认定、异议与红黑名单。",
    "home.audit": "公开核验接口",
    "home.audit.checkpoint": "最新的签名检查点",
    "home.audit.keys": "日志公钥",
    "home.audit.ratings": "快递企业信用评价",
    "home.audit.docs": "接口文档（OpenAPI）",
  },
  en: {
    "home.brand": "Product trace",
    "home.title": "Scan a product to check where it came from and where it went",
    "home.motto": "Source checkable · route traceable · responsibility assignable",
    "home.intro":
      "Every product's listing, sale, pickup, handoffs, delivery, receipt, reviews and complaints are digitally signed by whoever handled it and written to a public tamper-evident log. Scan the QR code on a product with your phone camera and check every step on your own device.",
    "home.recent": "Recent items",
    "home.empty": "Nothing recorded yet. Items appear here once merchants register and list them.",
    "home.desks": "Workspaces",
    "home.merchant": "Merchant console",
    "home.merchant.desc": "Register products, print QR labels, scan to record listing, sale and dispatch.",
    "home.courier": "Courier scanning",
    "home.courier.desc": "Scan at pickup, hub handoffs and delivery, signing with your own key.",
    "home.regulator": "Regulator",
    "home.regulator.desc": "Courier credit ratings and their evidence, complaint attributions, objections and lists.",
    "home.audit": "Public verification endpoints",
    "home.audit.checkpoint": "latest signed checkpoint",
    "home.audit.keys": "the log's public keys",
    "home.audit.ratings": "courier credit ratings",
    "home.audit.docs": "API documentation (OpenAPI)",
  },
});

async function nameItems() {
  const links = [...document.querySelectorAll("[data-name-for]")];
  const gtins = new Map();
  for (const link of links) {
    const gtin = link.dataset.nameFor.match(/^01\/(\d{14})\//)?.[1];
    if (gtin && !gtins.has(gtin)) gtins.set(gtin, api.get(`/products/${gtin}`).catch(() => null));
  }
  for (const link of links) {
    const gtin = link.dataset.nameFor.match(/^01\/(\d{14})\//)?.[1];
    const product = gtin ? await gtins.get(gtin) : null;
    if (product?.name) link.textContent = product.name;
  }
}

initLanguage();
mountLanguageSwitch(document.getElementById("language"));
nameItems().finally(() => {
  document.body.dataset.ready = "true";
});
