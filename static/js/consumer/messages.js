// The consumer page's words, Chinese first: every visible string of the page is in these two
// catalogues, kept key for key in step.

import { register } from "../core/i18n.js";
import { en } from "./messages-en.js";
import { zh } from "./messages-zh-CN.js";

register({ "zh-CN": zh, en });
