// Finds one-time-code fields: a single input, or a run of split one-character inputs.
// Two layers: pure scoring over plain attribute descriptors (tested in node), and a thin DOM layer
// that reads those descriptors from the page. Reads only; never writes to the page.
// A classic script (content scripts cannot be modules): it publishes globalThis.OTPC_DETECT.
(() => {
  "use strict";

  // Text is normalised before matching: lower case, accents removed, camelCase and punctuation split.
  function normalise(text) {
    return ` ${String(text ?? "")
      .replace(/([a-z])([A-Z])/g, "$1 $2")
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, " ")
      .trim()} `;
  }

  // OTP words. English, German, French, Spanish. Matched on normalised text (" one time code ").
  const OTP_PATTERNS = [
    / (t|h)?otp(s)?( |code|token|value|input|field|entry|pin|password|attempt|[0-9])/, // otp, totp, otpcode
    /[ 0-9a-z]?(2fa|mfa|tfa|2sv)( |code|token)/,
    / one ?time (pass ?code|code|password|pin|token|passwort)/,
    / (two|2) ?(factor|step) /,
    / (verification|verify|confirmation|security|authentication|authenticator|auth|login|sign ?in|access) (code|token|pin)/,
    / authenticator /,
    / pass ?code /,
    / (mfa|totp|otp|2fa|twofactor|two factor) /,
    / token /,
    / twofactor| twostep| onetime/,
    / steam ?guard /,
    / otc /, // Microsoft's name for the code field
    / authenticator ?app| authentication app| (authenticator|authentifizierungs) ?app/,
    // German (compounds are matched as parts of words)
    /(bestatigungs|sicherheits|verifizierungs|authentifizierungs|anmelde|einmal|pruf|bestaetigungs)(code|kennwort|passwort|pin)/,
    / zwei ?faktor| zweistufig| einmalcode| einmalpasswort| (zwei|2) ?schritt/,
    / (tan|mtan|pushtan|sms ?tan) /,
    // French
    / code (de |d )?(verification|securite|confirmation|authentification|validation|acces)/,
    / (a|a l) usage unique/,
    / (double|deux) (authentification|facteurs?)/,
    / authentification a deux/,
    / (en )?(deux|2) etapes/,
    / application d ?authentification/,
    / code (de validation|a usage unique)/,
    // Spanish
    / codigo (de )?(verificacion|seguridad|confirmacion|autenticacion|acceso|validacion)/,
    / (de )?un solo uso/,
    / (doble|dos) (factor|factores|pasos)/,
    / autenticacion (de )?(dos|doble)/,
    / (dos|2) pasos/,
    / aplicacion de autenticacion/,
  ];

  // Words that name a code only with help: "Code", "Enter code", Okta's "answer". They count when
  // the text a person reads around the field (heading, the sentence before it) speaks of a one-time code.
  const WEAK_PATTERNS = [/ (code|codes|pin|passcode|answer|codigo|token|kod) /];

  // Words that mark a field as something else. Checked on the text left after OTP phrases are
  // removed, so "mot de passe a usage unique" (one-time password) does not count as a password.
  // These apply to everything that describes the field, label text included.
  const DECOY_PATTERNS = [
    / (search|query|find|suche|suchen|recherche|rechercher|buscar|busqueda) /,
    / q /,
    /captcha/,
    / (coupon|promo|promotion|voucher|gift|discount|rabatt|gutschein|cupon|descuento|bon|referral|invite|invitation) /,
    /gutschein|rabattcode|promocode|couponcode|giftcard|code promo/,
    / (zip|zipcode|postal|postcode|post code|plz|postleitzahl|cp|codigo postal|code postal) /,
    / (recovery|backup|recover|scratch|rescue|emergency|wiederherstellung|recuperation|secours|recuperacion|respaldo|reserva) /,
    /wiederherstellungs|backupcode|recoverycode|ersatzcode|notfallcode/,
    / (card|cvv|cvc|csc|kreditkarte|carte|tarjeta|iban) /,
  ];
  // What a field *is* (email, username, password, phone, name) is read from its id and name only:
  // "enter the code we sent to your email" in a label still describes an OTP field.
  const IDENTITY_DECOY_PATTERNS = [
    / (email|e mail|mail|correo|courriel) /,
    / (username|user name|login name|login id|user id|userid|benutzername|benutzer|utilisateur|identifiant|usuario|account name) /,
    / (password|passwd|pwd|passwort|kennwort|mot de passe|contrasena|clave) /,
    / (phone|telephone|telefon|mobile|handy|telefono|movil|portable|msisdn) /,
    / (name|first|last|city|street|address|company|vorname|nachname|nom|prenom|nombre|apellido) /,
  ];

  // Near the field, these words mean the field is something else, whatever its label says
  // ("Security code" under "the 3 digits on the back of your card").
  const CONTEXT_DECOY_PATTERNS = [
    / (card|cvv|cvc|coupon|promo|voucher|gift|captcha|recovery|backup|postal|zip) /,
  ];

  const DECOY_AUTOCOMPLETE = /^(username|email|current-password|new-password|postal-code|tel|tel-national|cc-|name|given-name|family-name|street-address|address-|organization|off-x)/;
  const TEXTY_TYPES = new Set(["", "text", "tel", "number"]);
  const NEVER_TYPES = new Set(["hidden", "checkbox", "radio", "submit", "button", "reset", "file",
    "image", "color", "range", "date", "datetime-local", "month", "week", "time"]);
  const NUMERIC_PATTERN = /^\^?(\[0-9\]|\\d|\[\\d\]|\[0-9a-zA-Z\]|\[a-zA-Z0-9\]|\[A-Z0-9\]|\[0-9A-Z\])/;

  function hayOf(d) {
    return normalise([d.id, d.name, d.className, d.placeholder, d.ariaLabel, d.labelText, d.title]
      .filter(Boolean).join(" "));
  }

  function stripOtpWords(text) {
    let out = text;
    for (const p of OTP_PATTERNS) out = out.replace(new RegExp(p.source, "g"), " ");
    return ` ${out.trim()} `;
  }

  function hasOtpWords(d) {
    const hay = hayOf(d);
    return OTP_PATTERNS.some((p) => p.test(hay));
  }

  function contextOf(d) {
    return normalise(`${d.contextText ?? ""} ${d.heading ?? ""}`);
  }

  function hasContextOtpWords(d) {
    const context = contextOf(d);
    return OTP_PATTERNS.some((p) => p.test(context));
  }

  function hasWeakWords(d) {
    const hay = hayOf(d);
    return WEAK_PATTERNS.some((p) => p.test(hay));
  }

  function hasDecoyWords(d) {
    const rest = stripOtpWords(hayOf(d));
    if (DECOY_PATTERNS.some((p) => p.test(rest))) return true;
    const near = stripOtpWords(normalise(d.nearText ?? ""));
    if (CONTEXT_DECOY_PATTERNS.some((p) => p.test(near))) return true;
    const identity = stripOtpWords(normalise(`${d.id ?? ""} ${d.name ?? ""}`));
    return IDENTITY_DECOY_PATTERNS.some((p) => p.test(identity));
  }

  function typeOf(d) {
    return String(d.type ?? "").toLowerCase();
  }

  function isOneTimeCodeAutocomplete(d) {
    return String(d.autocomplete ?? "").toLowerCase().split(/\s+/).includes("one-time-code");
  }

  function looksNumeric(d) {
    const mode = String(d.inputMode ?? "").toLowerCase();
    return typeOf(d) === "tel" || typeOf(d) === "number" || mode === "numeric" || mode === "decimal"
      || NUMERIC_PATTERN.test(String(d.pattern ?? ""));
  }

  /**
   * Score one field as a whole-code input. Returns {score, reason}; score 0 means "not an OTP field".
   */
  function scoreField(d) {
    const type = typeOf(d);
    if (NEVER_TYPES.has(type) || d.disabled || d.readOnly || d.hidden) return { score: 0, reason: "unfit" };
    if (isOneTimeCodeAutocomplete(d)) return { score: 100, reason: "autocomplete=one-time-code" };
    if (!TEXTY_TYPES.has(type)) return { score: 0, reason: `type ${type}` };
    const autocomplete = String(d.autocomplete ?? "").toLowerCase();
    if (DECOY_AUTOCOMPLETE.test(autocomplete)) return { score: 0, reason: `autocomplete ${autocomplete}` };
    const maxLength = Number(d.maxLength ?? -1);
    if (maxLength > 0 && (maxLength < 6 || maxLength > 10)) return { score: 0, reason: `maxlength ${maxLength}` };
    const own = hasOtpWords(d);
    // A field named only "Code" (or nothing) counts when the text around it speaks of a one-time code.
    const byContext = !own && hasContextOtpWords(d) && (hasWeakWords(d) || looksNumeric(d)
      || (maxLength >= 6 && maxLength <= 8) || normalise(`${d.name ?? ""}`).trim().length <= 4);
    if (!own && !byContext) return { score: 0, reason: "no OTP words" };
    if (hasDecoyWords(d)) return { score: 0, reason: "decoy words" };
    let score = own ? 50 : 40;
    if (maxLength >= 6 && maxLength <= 8) score += 10;
    if (looksNumeric(d)) score += 10;
    if (autocomplete === "off") score += 2;
    return { score, reason: "OTP words" };
  }

  /** A field that can hold one character of a split code. */
  function isSplitCell(d) {
    const type = typeOf(d);
    if (!TEXTY_TYPES.has(type) && !isOneTimeCodeAutocomplete(d)) return false;
    if (d.disabled || d.readOnly || d.hidden) return false;
    const maxLength = Number(d.maxLength ?? -1);
    const narrow = !(d.width > 0) || d.width <= 80;
    if (!narrow) return false;
    if (maxLength === 1) return true;
    return maxLength <= 0 && looksNumeric(d) && d.width > 0;
  }

  /**
   * Runs of 4–8 adjacent split cells. `fields` is in document order; adjacency means consecutive in
   * that order and sharing `group` (the DOM layer's container key). Returns arrays of indexes.
   */
  function findSplitRuns(fields) {
    const runs = [];
    let run = [];
    const close = () => {
      if (run.length >= 4 && run.length <= 8) runs.push(run);
      run = [];
    };
    fields.forEach((d, i) => {
      const fits = isSplitCell(d) && !hasDecoyWords(d);
      if (fits && run.length && fields[run[run.length - 1]].group === d.group) {
        run.push(i);
      } else {
        close();
        if (fits) run.push(i);
      }
    });
    close();
    return runs;
  }

  /**
   * The best target among descriptors: {kind: "single", index, score} or {kind: "split", indexes,
   * score}, or null. A focused candidate wins over an unfocused one of lower rank.
   */
  function chooseTarget(fields) {
    const candidates = [];
    const runs = findSplitRuns(fields);
    const inRun = new Set(runs.flat());
    fields.forEach((d, i) => {
      const { score } = scoreField(d);
      if (score > 0 && !inRun.has(i)) {
        candidates.push({ kind: "single", index: i, score: score + (d.focused ? 30 : 0) });
      }
    });
    for (const indexes of runs) {
      const cells = indexes.map((i) => fields[i]);
      let score = 60;
      if (cells.some((c) => isOneTimeCodeAutocomplete(c) || hasOtpWords(c) || c.contextOtp)) score += 30;
      if (cells.some((c) => c.focused)) score += 30;
      candidates.push({ kind: "split", indexes, score });
    }
    candidates.sort((a, b) => b.score - a.score);
    return candidates[0] ?? null;
  }

  // ---- DOM layer ---------------------------------------------------------------------------

  function labelTextOf(el) {
    const parts = [];
    if (el.labels) for (const label of el.labels) parts.push(label.textContent);
    const ids = (el.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean);
    for (const id of ids) {
      const ref = el.ownerDocument.getElementById(id);
      if (ref) parts.push(ref.textContent);
    }
    for (const id of (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean)) {
      const ref = el.ownerDocument.getElementById(id);
      if (ref) parts.push(ref.textContent);
    }
    return parts.join(" ").replace(/\s+/g, " ").trim().slice(0, 200);
  }

  // The text a person reads just before the field: previous siblings of the field and of its
  // ancestors, nearest first, stopping at another input (that text belongs to it) or ~300 characters.
  // `near` is what sits beside the field in its own box (the field's and its parent's siblings).
  function textBefore(el) {
    const parts = [];
    let near = "";
    let length = 0;
    let node = el;
    for (let depth = 0; node && depth < 6 && length < 300; depth++, node = node.parentNode) {
      if (node.nodeType === 11) node = node.host; // out of a shadow root
      for (let sib = node?.previousSibling; sib && length < 300; sib = sib.previousSibling) {
        if (sib.nodeType === 1 && (sib.tagName === "INPUT" || sib.querySelector?.("input"))) {
          return { all: parts.join(" ").slice(0, 400), near: depth < 2 ? parts.join(" ") : near };
        }
        if (sib.nodeType === 1 && /^(SCRIPT|STYLE|TEMPLATE)$/.test(sib.tagName)) continue;
        const text = (sib.textContent ?? "").replace(/\s+/g, " ").trim();
        if (text) {
          parts.push(text.slice(-300));
          length += text.length;
        }
      }
      if (depth < 2) near = parts.join(" ");
      if (node?.tagName === "FORM") break;
    }
    return { all: parts.join(" ").slice(0, 400), near };
  }

  // The nearest heading above the field (h1-h6, role=heading, legend) within its form or page.
  function headingOf(el) {
    const doc = el.ownerDocument;
    const all = [...doc.querySelectorAll("h1, h2, h3, h4, h5, h6, [role=heading], legend")];
    let best = null;
    for (const h of all) {
      if (h.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) best = h;
    }
    return (best?.textContent ?? "").replace(/\s+/g, " ").trim().slice(0, 150);
  }

  function isVisible(el) {
    const rect = el.getBoundingClientRect();
    if (rect.width < 2 || rect.height < 2) return false;
    const style = el.ownerDocument.defaultView.getComputedStyle(el);
    return style.visibility !== "hidden" && style.display !== "none" && Number(style.opacity) > 0.05;
  }

  // Split cells are often each wrapped in their own box; the group is the first ancestor that holds
  // more than one input.
  // Boxes split into sub-groups ("123 - 456") share the higher container when it holds only such boxes.
  function groupOf(el) {
    let node = el.parentElement;
    for (let depth = 0; node && depth < 4; depth++, node = node.parentElement) {
      if (node.querySelectorAll("input").length > 1) {
        for (let up = node.parentElement, i = 0; up && i < 2; up = up.parentElement, i++) {
          const inputs = [...up.querySelectorAll("input")];
          if (inputs.length > 8 || !inputs.every((x) => x.maxLength === 1)) break;
          node = up;
        }
        return node;
      }
    }
    return el.parentElement;
  }

  function describe(el, groupIds) {
    const group = groupOf(el);
    if (!groupIds.has(group)) groupIds.set(group, groupIds.size + 1);
    return {
      type: el.getAttribute("type") ?? "",
      id: el.id,
      name: el.getAttribute("name") ?? "",
      className: typeof el.className === "string" ? el.className : "",
      placeholder: el.getAttribute("placeholder") ?? "",
      ariaLabel: el.getAttribute("aria-label") ?? "",
      title: el.getAttribute("title") ?? "",
      labelText: labelTextOf(el),
      autocomplete: el.getAttribute("autocomplete") ?? "",
      maxLength: el.maxLength,
      inputMode: el.getAttribute("inputmode") ?? "",
      pattern: el.getAttribute("pattern") ?? "",
      width: el.getBoundingClientRect().width,
      disabled: el.disabled,
      readOnly: el.readOnly,
      hidden: !isVisible(el),
      focused: el.ownerDocument.activeElement === el,
      group: groupIds.get(group),
      ...(({ all, near }) => ({ contextText: all, nearText: near }))(textBefore(el)),
      heading: headingOf(el),
      contextOtp: OTP_PATTERNS.some((p) => p.test(normalise(group?.textContent?.slice(0, 300)))),
    };
  }

  /** Visible inputs in document order, including those in open shadow roots. */
  function inputsOf(root) {
    const out = [];
    const walk = (node) => {
      for (const el of node.querySelectorAll("input, *")) {
        if (el.tagName === "INPUT") out.push(el);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(root);
    return out;
  }

  /** The elements to fill in this document: {kind, elements, score} or null. */
  function findTarget(doc) {
    const elements = inputsOf(doc).filter(isVisible);
    const groupIds = new Map();
    const fields = elements.map((el) => describe(el, groupIds));
    const target = chooseTarget(fields);
    if (!target) return null;
    const chosen = target.kind === "single" ? [elements[target.index]] : target.indexes.map((i) => elements[i]);
    return { kind: target.kind, elements: chosen, score: target.score };
  }

  /** The split run containing `el`, if any, else null (used when the user picked a field). */
  function splitRunContaining(doc, el) {
    const elements = inputsOf(doc).filter(isVisible);
    const groupIds = new Map();
    const fields = elements.map((e) => describe(e, groupIds));
    const run = findSplitRuns(fields).find((r) => r.some((i) => elements[i] === el));
    return run ? run.map((i) => elements[i]) : null;
  }

  const api = {
    normalise, scoreField, hasOtpWords, hasContextOtpWords, hasDecoyWords, isSplitCell, findSplitRuns, chooseTarget,
    findTarget, splitRunContaining,
  };
  globalThis.OTPC_DETECT = api;
})();
