// Domain states as `xl list` shows them, and what the host reports about a running domain.
/** The one-letter column of `xl list` for each state. */
export const STATE_LETTER = {
    running: 'r',
    blocked: 'b',
    paused: 'p',
    shutdown: 's',
    crashed: 'c',
    dying: 'd',
};
//# sourceMappingURL=domain-state.js.map