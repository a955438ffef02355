// Which site a URL belongs to: registrable-domain matching, subdomains count.
// The companion does the authoritative matching (full public-suffix list); this copy, with the common
// multi-label suffixes, orders and marks rows in the popup without a round trip.

const MULTI_LABEL_SUFFIXES = new Set([
  "co.uk", "org.uk", "ac.uk", "gov.uk", "ltd.uk", "plc.uk", "me.uk", "net.uk", "sch.uk",
  "com.au", "net.au", "org.au", "edu.au", "gov.au", "co.nz", "org.nz", "net.nz",
  "co.jp", "ne.jp", "or.jp", "ac.jp", "go.jp", "co.kr", "or.kr",
  "com.br", "net.br", "org.br", "com.mx", "com.ar", "com.co", "com.pe", "com.uy", "com.es", "org.es",
  "co.za", "org.za", "co.in", "net.in", "org.in", "firm.in", "gen.in", "ind.in",
  "com.cn", "net.cn", "org.cn", "com.hk", "com.tw", "com.sg", "com.my", "co.id", "co.th", "com.tr",
  "co.il", "org.il", "com.ua", "com.pl", "net.pl", "org.pl", "co.at", "or.at", "gv.at",
  "gouv.fr", "asso.fr", "com.fr", "co.it", "com.pt", "com.ru", "com.de",
  "github.io", "gitlab.io", "herokuapp.com", "azurewebsites.net", "cloudfront.net", "appspot.com",
  "blogspot.com", "netlify.app", "vercel.app", "pages.dev", "workers.dev", "web.app",
  "firebaseapp.com", "s3.amazonaws.com", "onmicrosoft.com", "sharepoint.com",
]);

/** The host of a URL or bare host name, lower-cased, without port or trailing dot; "" if none. */
export function hostOf(urlOrHost) {
  const raw = String(urlOrHost ?? "").trim();
  if (!raw) return "";
  let host;
  try {
    host = new URL(raw.includes("://") ? raw : `http://${raw}`).hostname;
  } catch {
    return "";
  }
  return host.toLowerCase().replace(/\.$/, "");
}

function isIpAddress(host) {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith("[") || host.includes(":");
}

/** The registrable domain ("eTLD+1") of a host or URL: "login.eu.example.co.uk" → "example.co.uk". */
export function registrableDomain(urlOrHost) {
  const host = hostOf(urlOrHost);
  if (!host || isIpAddress(host) || !host.includes(".")) return host;
  const labels = host.split(".");
  for (let i = 0; i < labels.length - 1; i++) {
    const suffix = labels.slice(i + 1).join(".");
    if (MULTI_LABEL_SUFFIXES.has(suffix)) return labels.slice(i).join(".");
  }
  return labels.slice(-2).join(".");
}

/** True when the entry URL and the page belong to the same registrable domain. */
export function sameSite(entryUrl, pageUrl) {
  const a = registrableDomain(entryUrl);
  return a !== "" && a === registrableDomain(pageUrl);
}

/** True when any of an entry's URLs matches the page. */
export function entryMatchesPage(entry, pageUrl) {
  return (entry.urls ?? []).some((u) => sameSite(u, pageUrl));
}

/** Only web pages have a site to match; browser pages (chrome://, about:, file:) do not. */
export function isWebPage(url) {
  return /^https?:\/\//i.test(String(url ?? ""));
}

/** The scheme of an entry URL; a bare host ("login.acme.test") counts as https. */
function schemeOf(url) {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(String(url ?? "").trim());
  return m ? m[1].toLowerCase() : "https";
}

/**
 * May a code for an entry with these URLs go to a document of `origin` (or URL)? Same registrable
 * domain, and the scheme must not drop: an https:// entry never fills an http:// page.
 */
export function originMatchesEntry(urls, origin) {
  if (!isWebPage(origin)) return false;
  const pageScheme = schemeOf(origin);
  return (urls ?? []).some((u) => sameSite(u, origin)
    && (pageScheme === "https" || schemeOf(u) === "http"));
}
