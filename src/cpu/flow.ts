// How an instruction handled outside the run loop (M, A, F/D, SYSTEM, traps) tells the loop what
// to do next. Internal to src/cpu/.

/** Outcome of an execute function, read by `Hart.run`. */
export const enum Flow {
  /** Retired; continue at the next pc with no boundary. */
  Next = 0,
  /** Retired; continue at the next pc, then check interrupts/budget/stop (block boundary). */
  NextCheck = 1,
  /** Retired; pc was redirected (xRET): reload it from state, boundary. */
  Redirect = 2,
  /** Not retired: a trap was taken, pc is in state, boundary. */
  Trapped = 3,
}
