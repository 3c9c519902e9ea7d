// CSV export of what is on screen: a table's header and its rows in their current filter and
// order, generated in the browser. UTF-8 with a byte-order mark so Excel reads Chinese
// correctly; CRLF line ends (RFC 4180). A cell's data-csv value (an exact figure, a trend in
// words) stands in for what is drawn in it.

import { t } from "../core/i18n.js";
import { h } from "./dom.js";

function cellText(cell) {
  return cell.dataset.csv ?? cell.textContent.replace(/\s+/g, " ").trim();
}

/** [header, ...rows] of a rendered table; rows hidden by a filter are left out. */
export function tableRows(table) {
  const header = [...table.querySelectorAll("thead th")]
    .filter((th) => th.dataset.csv !== "skip")
    .map((th) => th.dataset.csvLabel ?? th.textContent.replace(/[▲▼↕]/g, "").trim());
  const skip = [...table.querySelectorAll("thead th")].map((th) => th.dataset.csv === "skip");
  const rows = [...table.querySelectorAll("tbody tr")]
    .filter((tr) => !tr.hidden && !tr.classList.contains("no-export"))
    .map((tr) => [...tr.children].filter((_, i) => !skip[i]).map(cellText));
  return [header, ...rows];
}

function quote(value) {
  let text = String(value ?? "");
  // A cell read as a formula by a spreadsheet (CSV injection) is kept as text.
  if (/^[=+@\t\r]/.test(text) || /^-[^\d.]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows) {
  return rows.map((row) => row.map(quote).join(",")).join("\r\n") + "\r\n";
}

/** Offer `rows` as a CSV file download. */
export function downloadCsv(filename, rows) {
  const blob = new Blob(["\uFEFF", toCsv(rows)], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** An "export CSV" button for `table` (a function returning it: tables are re-rendered). */
export function exportButton(getTable, filename) {
  return h("button", {
    type: "button",
    class: "secondary",
    dataset: { export: "csv" },
    onclick: () => {
      const table = getTable();
      if (table) downloadCsv(typeof filename === "function" ? filename() : filename, tableRows(table));
    },
  }, t("csv.export"));
}
