// Tiny DOM helpers for our pages: build elements without innerHTML (no markup from data, ever).
import { ext } from "./browser.js";

/** h("button", {class: "primary", onclick}, "Pair") */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Ask the service worker; resolves with the value or rejects with an Error carrying .kind (and the
 * companion's wire .code, .status and .retryAfter when it refused: lib/refusals.js). */
export async function ask(op, fields = {}) {
  const reply = await ext.runtime.sendMessage({ op, ...fields });
  if (!reply) throw Object.assign(new Error("The extension's background did not answer."), { kind: "error" });
  if (!reply.ok) {
    throw Object.assign(new Error(reply.error), { kind: reply.kind, code: reply.code, status: reply.status, retryAfter: reply.retryAfter });
  }
  return reply.value;
}

/**
 * A one-line message for a few seconds, where the page's CSS puts it (over the top bar). A toast with
 * the popover attribute is shown in the top layer, so an open modal dialog does not hide it.
 */
export function toast(text, kind = "") {
  const el = document.getElementById("toast");
  if (!el) return;
  el.textContent = text;
  el.className = `toast ${kind}`;
  if (el.popover && typeof el.showPopover === "function") {
    if (el.matches(":popover-open")) el.hidePopover();
    el.showPopover();
  }
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => {
    el.classList.add("hidden");
    if (el.popover && el.matches(":popover-open")) el.hidePopover();
  }, 2600);
}

/** A terminal command shown with its own copy button. */
export function commandLine(command) {
  return h("div", { class: "cmd" }, h("span", {}, command),
    h("button", { type: "button", onclick: () => navigator.clipboard.writeText(command).then(() => toast("Command copied")) }, "Copy"));
}

const ICONS = {
  power: ["M12 2v10", "M18.4 6.6a9 9 0 1 1-12.8 0"],
  link: ["M10 13a5 5 0 0 0 7.54.54l3-3a5 5 0 0 0-7.07-7.07l-1.72 1.71",
    "M14 11a5 5 0 0 0-7.54-.54l-3 3a5 5 0 0 0 7.07 7.07l1.71-1.71"],
  lock: ["M5 11h14a2 2 0 0 1 2 2v7a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2z", "M7 11V7a5 5 0 0 1 10 0v4"],
  trash: ["M3 6h18", "M8 6V4h8v2", "M19 6l-1 14a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2L5 6", "M10 11v6", "M14 11v6"],
};

/** A small line icon (no icon font needed: fonts on Linux often lack the symbols). */
export function icon(name, size = 22) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  for (const [k, v] of Object.entries({ width: size, height: size, viewBox: "0 0 24 24", fill: "none",
    stroke: "currentColor", "stroke-width": 2, "stroke-linecap": "round", "stroke-linejoin": "round", "aria-hidden": "true" })) {
    svg.setAttribute(k, String(v));
  }
  for (const d of ICONS[name] ?? []) {
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}
