import { AppError } from './errors.js';

/** The client's timestamp within ±toleranceMs of server time, or TIMESTAMP_OUT_OF_RANGE. */
export function checkTimestamp(timestamp: string, nowMs: number, toleranceMs: number): void {
  const clientMs = Date.parse(timestamp);
  if (Number.isNaN(clientMs) || Math.abs(nowMs - clientMs) > toleranceMs) {
    throw new AppError('TIMESTAMP_OUT_OF_RANGE', `timestamp must be within ${toleranceMs} ms of server time`, {
      details: { timestamp: timestamp.slice(0, 64), serverTime: new Date(nowMs).toISOString(), toleranceMs },
    });
  }
}
