// A code that cannot be used, and how to say why in the chosen language. Each module that
// refuses a code registers the words for its own faults (gs1_keys.js, code_parser.js,
// barcode_decoder.js, camera.js).

import { t } from "./i18n.js";

/** A code that cannot be used, with an i18n key and its parameters. */
export class ScanError extends Error {
  constructor(messageKey, params = {}) {
    super(messageKey);
    this.messageKey = messageKey;
    this.params = params;
  }
}

export function scanErrorMessage(error) {
  if (error instanceof ScanError) {
    const params = { ...error.params };
    if (params.what) params.what = t(`scan.what.${params.what}`);
    return t(error.messageKey, params);
  }
  return String(error?.message ?? error);
}
