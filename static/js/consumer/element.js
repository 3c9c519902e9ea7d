// Building DOM nodes without innerHTML, so text from records can never become markup.

/**
 * el("p", {class: "muted", "data-step": 3}, "text", child, null) → <p class="muted" data-step="3">
 * Attributes with null, undefined or false values are left out; children that are null are
 * skipped, strings become text nodes.
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : String(child));
  }
}

/** A definition list row pair: <div><dt>label</dt><dd>value</dd></div>, or nothing without a value. */
export function field(label, value, attributes = {}) {
  if (value === null || value === undefined || value === "") return null;
  return el("div", { class: "field", ...attributes }, el("dt", {}, label), el("dd", {}, value));
}
