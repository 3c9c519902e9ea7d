// The service publishes its figures as decimal strings (so they compare byte for byte with the
// hashed snapshot content). Sums are checked here in exact integer arithmetic, never in floats.

import { formatNumber } from "../core/i18n.js";

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

function places(text) {
  const match = DECIMAL.exec(String(text).trim());
  if (!match) throw new Error(`not a decimal: ${text}`);
  return (match[3] ?? "").length;
}

/** The decimal string as a BigInt of units of 10^-scale (exact; refuses more places). */
export function scaled(text, scale) {
  const match = DECIMAL.exec(String(text).trim());
  if (!match) throw new Error(`not a decimal: ${text}`);
  const fraction = (match[3] ?? "").padEnd(scale, "0");
  if (fraction.length > scale) throw new Error(`${text} has more than ${scale} places`);
  const value = BigInt(match[2] + fraction);
  return match[1] === "-" ? -value : value;
}

function unscaled(value, scale) {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale ? `.${digits.slice(digits.length - scale)}` : "";
  return `${negative ? "-" : ""}${whole}${fraction}`;
}

/**
 * Σ of decimal strings, exactly, written with as many places as the widest term or `published`;
 * and whether it equals `published`.
 */
export function exactSum(terms, published) {
  const scale = Math.max(places(published), ...terms.map(places));
  const total = terms.reduce((sum, term) => sum + scaled(term, scale), 0n);
  return { sum: unscaled(total, scale), equal: total === scaled(published, scale) };
}

/** A rate per million for reading: grouped, one decimal below 1000, none above. */
export function formatRate(text) {
  const value = Number(text);
  if (!Number.isFinite(value)) return "—";
  return formatNumber(value, Math.abs(value) < 1000 ? 1 : 0);
}

/** Parcel-equivalents for reading. */
export function formatExposure(text) {
  const value = Number(text);
  if (!Number.isFinite(value)) return "—";
  return formatNumber(value, value < 100 && value % 1 !== 0 ? 1 : 0);
}

/** A "p/q" fraction or decimal string as a number (shares, surcharges). */
export function fractionValue(text) {
  const [p, q] = String(text).split("/");
  return q === undefined ? Number(p) : Number(p) / Number(q);
}
