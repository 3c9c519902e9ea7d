// Talking to the service: JSON in and out, credentials on private reads, and every RFC 9457
// problem turned into words a person understands, in the chosen language.

import { register, t } from "./i18n.js";
import { PROBLEM_MESSAGES } from "./problems.js";

register(PROBLEM_MESSAGES);

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? {};
    this.code = this.problem.code ?? (status === 0 ? "network" : `http_${status}`);
  }
}

async function request(method, path, { body, credential, accept = "application/json" } = {}) {
  const headers = { Accept: accept };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (credential) headers.Authorization = `Bearer ${credential}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, null);
  }
  const type = (response.headers.get("Content-Type") ?? "").split(";")[0].trim();
  // application/json, application/problem+json, application/ld+json — not NDJSON.
  const isJson = type === "application/json" || type.endsWith("+json");
  if (!response.ok) {
    let problem = null;
    if (isJson) problem = await response.json().catch(() => null);
    throw new ApiError(response.status, problem);
  }
  if (isJson) return response.json();
  if (type.startsWith("text/")) return response.text();
  return new Uint8Array(await response.arrayBuffer());
}

export const api = {
  get: (path, options) => request("GET", path, options),
  post: (path, body, options) => request("POST", path, { ...options, body }),
  /** The exact bytes of a response (log entries are verified byte for byte). */
  async bytes(path) {
    let response;
    try {
      response = await fetch(path, { cache: "no-store" });
    } catch {
      throw new ApiError(0, null);
    }
    if (!response.ok) {
      throw new ApiError(response.status, await response.json().catch(() => null));
    }
    return new Uint8Array(await response.arrayBuffer());
  },
};

/** What went wrong, for a person: the problem's code in words, then the service's detail. */
export function problemMessage(error) {
  if (!(error instanceof ApiError)) return t("problem.unexpected", { detail: String(error?.message ?? error) });
  const key = `problem.${error.code}`;
  let text = t(key);
  if (text === key) text = t(`problem.status.${Math.floor(error.status / 100)}xx`);
  return text;
}

/** Fill an element (role="alert") with the message, the code and the service's detail. */
export function showProblem(element, error) {
  element.replaceChildren();
  element.hidden = false;
  const message = document.createElement("p");
  message.className = "problem-message";
  message.textContent = problemMessage(error);
  element.append(message);
  if (error instanceof ApiError && (error.problem?.detail || error.code)) {
    const detail = document.createElement("p");
    detail.className = "problem-detail";
    detail.textContent = [error.code, error.problem?.detail].filter(Boolean).join(" · ");
    element.append(detail);
  }
}
