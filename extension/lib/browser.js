// The one place that papers over Chromium/Firefox differences: both expose promise-based APIs in MV3,
// Firefox as `browser`, Chromium as `chrome`.
export const ext = globalThis.browser ?? globalThis.chrome;
