// Moved to tests/support/guest-session.mjs (shared by the Linux, disk, virtio and net suites and
// the I/O benchmark); re-exported here for the suites that import it from this folder.
export { REPO, BIN, PROMPT, findGuest, requireGuest, GuestSession } from '../support/guest-session.mjs';
