/**
 * Wall-clock jumps seen by a process that also has a monotonic clock (decision 0096). Lease and
 * running-time deadlines are wall-clock timestamps in the database; when its clock jumps, the
 * sweeper must not read the jump as time that passed (a jump forward would expire every lease
 * and time out every running job at once) nor as time still to come (a jump back would keep a
 * dead runner's lease for the length of the jump).
 */
export interface ClockReading {
  /** The database's wall clock, ms since the epoch. */
  wallMs: number;
  /** This process's monotonic clock (performance.now()), ms. */
  monoMs: number;
}

/** Differences smaller than this are slews, stalls or clock reads racing each other, not jumps. */
export const CLOCK_JUMP_TOLERANCE_MS = 30_000;

/** How far the wall clock moved beyond the monotonic time elapsed between two readings; 0 within the tolerance. */
export function wallClockJump(prev: ClockReading, cur: ClockReading, toleranceMs = CLOCK_JUMP_TOLERANCE_MS): number {
  const jump = cur.wallMs - prev.wallMs - (cur.monoMs - prev.monoMs);
  return Math.abs(jump) > toleranceMs ? jump : 0;
}

/** A tracker fed one reading per sweep: answers the jump since the previous reading (0 for the first). */
export function clockJumpTracker(toleranceMs = CLOCK_JUMP_TOLERANCE_MS): (cur: ClockReading) => number {
  let prev: ClockReading | null = null;
  return (cur) => {
    const jump = prev ? wallClockJump(prev, cur, toleranceMs) : 0;
    prev = cur;
    return jump;
  };
}
