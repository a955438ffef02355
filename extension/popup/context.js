// What every popup view shares: how the popup was opened, the tab it works on, the view area.
// ?tab=ID names the tab to work on (tests, the shortcut's picker window); otherwise the active tab.
// ?mode=pick: the shortcut or context menu found several entries and the user picks one.
import { ext } from "../lib/browser.js";

const params = new URLSearchParams(location.search);

export const popup = {
  params,
  pickMode: params.get("mode") === "pick",
  contextFill: params.get("context") === "1",
  frameParam: params.has("frame") ? Number(params.get("frame")) : undefined,
  /** Opened for a named tab (tests, the picker window) rather than as the toolbar popup. */
  namedTab: params.has("tab"),
  tabId: undefined,
  /** Set by popup.js: ask the worker again and show whatever state it answers. */
  restart: () => {},
};

export async function currentTabId() {
  if (params.has("tab")) return Number(params.get("tab"));
  const [tab] = await ext.tabs.query({ active: true, currentWindow: true });
  return tab?.id;
}

const view = document.getElementById("view");

/** Replace what the popup shows (live codes of rows that leave the page stop on their own). */
export function setView(state, ...children) {
  document.body.dataset.state = state;
  view.replaceChildren(...children.flat().filter(Boolean));
  return view;
}

export function viewElement() {
  return view;
}

export function openManage() {
  return ext.tabs.create({ url: ext.runtime.getURL("manage/manage.html") });
}
