// Drives live codes on a page: one animation loop moves every countdown bar, turns it to the warning
// colour in the last 5 s and swaps in the next code when the period ends (the old code stays on
// screen until the new one has arrived, so nothing flickers).
import { clockOffset, countdown, secondsLabel, skewWarning } from "./countdown.js";
import { groupCode } from "./format.js";

const live = new Set();
let running = false;
let offset = 0;
let onSkew = () => {};

/** Called with true/false when the browser's clock is more than 10 s off the companion's. */
export function watchSkew(callback) {
  onSkew = callback;
}

function nowSeconds() {
  return Date.now() / 1000;
}

/**
 * Show `result` (a CODE from the companion) in `view` = {code, bar, secs} elements and keep it live.
 * refresh() must return a promise of the next CODE; it runs with nobody asking, so callers mark it
 * passive (the companion does not count it as activity). Returns a handle with stop().
 */
export function showCode(view, result, refresh) {
  const item = { view, result, refresh, fetching: false, stopped: false };
  apply(item, result);
  live.add(item);
  if (!running) {
    running = true;
    requestAnimationFrame(frame);
  }
  return { stop: () => { item.stopped = true; live.delete(item); }, current: () => item.result };
}

function apply(item, result) {
  item.result = result;
  offset = clockOffset(result.server_time, nowSeconds());
  onSkew(skewWarning(offset));
  item.view.code.textContent = groupCode(result.code);
  item.view.code.dataset.code = result.code;
  paint(item);
}

function paint(item) {
  const { result, view } = item;
  if (!result.valid_until) {
    view.bar?.classList.add("hidden");
    if (view.secs) view.secs.textContent = "";
    return;
  }
  const c = countdown(result.valid_until, result.period, nowSeconds(), offset);
  if (view.bar) {
    view.bar.firstElementChild.style.transform = `scaleX(${c.fraction.toFixed(4)})`;
    view.bar.classList.toggle("warn", c.warn);
    view.bar.dataset.fraction = c.fraction.toFixed(4);
  }
  view.code.classList.toggle("warn", c.warn);
  if (view.secs) view.secs.textContent = `${secondsLabel(c.remaining)} s`;
  // A hidden page asks for nothing (issue 9.3): the next code is fetched when it is seen again.
  if (c.expired && !item.fetching && nowSeconds() >= (item.retryAt ?? 0) && document.visibilityState === "visible") {
    item.fetching = true;
    item.refresh().then((next) => {
      item.fetching = false;
      item.retryAt = nowSeconds() + 0.5; // the companion's next code may be a moment away
      if (!item.stopped && next) apply(item, next);
    }, () => {
      item.fetching = false;
      item.retryAt = nowSeconds() + 3;
    });
  }
}

function frame() {
  for (const item of live) {
    if (!item.view.code.isConnected) live.delete(item);
    else paint(item);
  }
  if (live.size) requestAnimationFrame(frame);
  else running = false;
}

/** Forget every live code (when a view is replaced). */
export function stopAll() {
  for (const item of live) item.stopped = true;
  live.clear();
}
