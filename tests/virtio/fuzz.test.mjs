// Bounded fuzz run of the virtio transport and devices (part of npm test; a few seconds).
// Longer runs: node tests/virtio/fuzz-long.mjs --iterations N [--seed S] [--device NAME]
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEVICES, fuzzDevice } from './fuzz-core.mjs';

for (const name of Object.keys(DEVICES)) {
  test(`fuzz ${name}: hostile registers and rings never escape the device`, async () => {
    let malformed = 0;
    let ok = 0;
    for (const seed of [1, 2, 3]) {
      const s = await fuzzDevice(name, seed * 7919 + name.length, 400);
      assert.equal(s.iterations, 400);
      malformed += s.malformed;
      ok += s.ok;
    }
    // Devices with a plausible-request generator must also get well-formed work through.
    if (DEVICES[name]().request !== undefined) assert.ok(ok > 0, `${name}: no request ever succeeded`);
    // The fuzzer must actually reach the validation paths, or it proves nothing.
    assert.ok(malformed > 0, `${name}: no malformed chain was ever detected`);
  });
}
