// Countdown arithmetic on the companion's clock. The companion returns its own time with each code;
// we remember the offset to the browser's clock and count down on the companion's time.

export const WARN_SECONDS = 5;
export const SKEW_WARN_SECONDS = 10;

/** Offset (seconds) to add to the browser clock to get the companion's clock. */
export function clockOffset(serverTime, localTimeAtReceipt) {
  return serverTime - localTimeAtReceipt;
}

/** True when the clocks differ by more than the warning threshold. */
export function skewWarning(offsetSeconds) {
  return Math.abs(offsetSeconds) > SKEW_WARN_SECONDS;
}

/**
 * The state of a TOTP countdown at browser time `localNow` (seconds):
 * {remaining, fraction (1 → 0), warn, expired}.
 */
export function countdown(validUntil, period, localNow, offset) {
  if (!validUntil || !period) return { remaining: 0, fraction: 1, warn: false, expired: false };
  const remaining = Math.max(0, validUntil - (localNow + offset));
  return {
    remaining,
    fraction: Math.min(1, remaining / period),
    warn: remaining <= WARN_SECONDS,
    expired: remaining <= 0,
  };
}

/** Whole seconds shown to people: 29.2 → 30, 0.4 → 1, 0 → 0. */
export function secondsLabel(remaining) {
  return Math.ceil(remaining);
}
