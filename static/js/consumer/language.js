// The language switch in the page header. A `?lang=` in the address (a shared English link)
// would otherwise outrank the reader's own choice for as long as the page is open, so the
// parameter is dropped from the address the moment the reader picks a language.

import { languageSwitch } from "../core/i18n.js";

export function mountLanguageSwitch(container) {
  const nav = languageSwitch();
  nav.addEventListener(
    "click",
    () => {
      const url = new URL(location.href);
      if (!url.searchParams.has("lang")) return;
      url.searchParams.delete("lang");
      history.replaceState(history.state, "", url);
    },
    true, // before the buttons' own handlers switch the language
  );
  container.replaceChildren(nav);
}
