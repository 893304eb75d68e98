// The domain worker's side of save and fork: a capture of the machine into a shared image, or
// a save file written through the snapshot stream from such a capture (domain-save-file.ts). Both take the machine between two slices
// (message handlers run between slices), so the guest is stopped only for that copy.
import type { Machine } from '../../machine/index.js';
import { captureMachine } from './domain-image-node.js';
import type { FromWorker, ToWorker } from './domain-worker-protocol.js';
import { saveDomainFile } from './domain-save-file.js';

/** How long a capture waits for device I/O in flight to finish. */
const IN_FLIGHT_WAIT_MS = 2000;

/** Answers a `capture` or `save-file` request with one `done` message. */
export function answerSnapshotRequest(machine: Machine, ramTracked: boolean, m: Extract<ToWorker, { type: 'capture' | 'save-file' }>, post: (m: FromWorker) => void): void {
  const fail = (err: unknown): void => post({ type: 'done', id: m.id, error: err instanceof Error ? err.message : String(err) });
  if (m.type === 'save-file') {
    let last = -1;
    const onProgress = (f: number): void => {
      const percent = Math.floor(f * 100);
      if (percent > last) post({ type: 'progress', id: m.id, percent: (last = percent) });
    };
    saveDomainFile(machine, ramTracked, m.path, m.domain, onProgress).then((saved) => post({ type: 'done', id: m.id, saved }), fail);
    return;
  }
  const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
  const attempt = (): void => {
    try {
      const image = captureMachine(machine, ramTracked);
      if (image !== undefined) return post({ type: 'done', id: m.id, image });
      if (Date.now() > deadline) return fail(new Error('a device kept host I/O in flight for 2 s: try again'));
      setTimeout(attempt, 5);
    } catch (err) {
      fail(err);
    }
  };
  attempt();
}
