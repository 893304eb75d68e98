// The phases of bench:linux: what the guest runs (busybox sh commands typed on its console) and
// what it must print. Every expected line is computed here, on the host, from the same recipe
// the guest follows, so a guest that skips work or computes wrongly fails the run instead of
// producing a fast number. Inputs are generated inside the guest (nothing big crosses the
// console), untimed, by `setup`.
import { createHash } from 'node:crypto';

const MIB = 1 << 20;
/** Working directory in the guest (tmpfs: the default guest mounts one on /tmp). */
export const DIR = '/tmp/bench';
const DATA = `${DIR}/data8m`;
const LINES = `${DIR}/lines`;
const SORTED = `${DIR}/sorted`;

const SHELL_ITERATIONS = 20_000;
const FORK_EXECS = 200;
const AWK_ITERATIONS = 100_000;
const SORT_LINES = 20_000;
/** 8 MiB = 128 copies of the first 64 KiB of `seq 1 20000`. */
const BLOCK = 65_536;
const BLOCKS = (8 * MIB) / BLOCK;

const hash = (algo, data) => createHash(algo).update(data).digest('hex');

/** The bytes of `data8m`: the first 64 KiB of `seq 1 20000`, 128 times. */
function dataFile() {
  const seq = Buffer.from(Array.from({ length: 20_000 }, (_, i) => `${i + 1}\n`).join(''));
  return Buffer.concat(Array.from({ length: BLOCKS }, () => seq.subarray(0, BLOCK)));
}

/** The lines of `lines`: 20,000 steps of the Park–Miller generator (x·16807 mod 2^31−1, exact in doubles). */
function parkMiller() {
  const out = [];
  let x = 1;
  for (let i = 0; i < SORT_LINES; i++) {
    x = (x * 16807) % 2147483647;
    out.push(String(x));
  }
  return out;
}

/** Σ sqrt(i) / (i + 0.5), as awk computes it (IEEE doubles, same order), printed with %.6f. */
function awkSum() {
  let s = 0;
  for (let i = 1; i <= AWK_ITERATIONS; i++) s += Math.sqrt(i) / (i + 0.5);
  return s.toFixed(6);
}

/**
 * Creates the inputs (untimed). Prints the sizes, checked by `setupExpect`. `seq` and `awk` make
 * the data deterministic (the guest has no seeded random source worth trusting).
 */
export const setup = {
  command: [
    `mkdir -p ${DIR}`,
    `seq 1 20000 | head -c ${BLOCK} > ${DIR}/blk`,
    `i=0; while [ $i -lt ${BLOCKS} ]; do cat ${DIR}/blk; i=$((i+1)); done > ${DATA}`,
    `wc -c < ${DATA}`,
    `awk 'BEGIN { x = 1; for (i = 0; i < ${SORT_LINES}; i++) { x = (x * 16807) % 2147483647; print x } }' > ${LINES}`,
    `wc -l < ${LINES}`,
  ].join('; '),
  expect: () => [String(8 * MIB), String(SORT_LINES)],
};

/**
 * The phases, in order. `body` is timed; `check` (untimed, after the end marker) prints more to
 * verify. `expect()` is the exact list of lines body + check print (trimmed).
 */
export const PHASES = [
  {
    name: 'shell',
    what: `shell loop, ${SHELL_ITERATIONS.toLocaleString('en-US')} iterations`,
    body: `i=0; while [ $i -lt ${SHELL_ITERATIONS} ]; do i=$((i+1)); done; echo "n=$i"`,
    expect: () => [`n=${SHELL_ITERATIONS}`],
  },
  {
    name: 'md5sum',
    what: 'md5sum of 8 MiB (dd from /dev/zero through a pipe)',
    body: `dd if=/dev/zero bs=${BLOCK} count=${BLOCKS} 2>/dev/null | md5sum`,
    expect: () => [`${hash('md5', Buffer.alloc(8 * MIB))}  -`],
  },
  {
    name: 'forkexec',
    what: `${FORK_EXECS} fork + exec (/bin/echo)`,
    // A command name with a slash is never an ash builtin: each iteration forks and execs busybox.
    body: `i=0; while [ $i -lt ${FORK_EXECS} ]; do /bin/echo $i; i=$((i+1)); done > ${DIR}/echoed`,
    check: `wc -l < ${DIR}/echoed; md5sum < ${DIR}/echoed`,
    expect: () => [String(FORK_EXECS), `${hash('md5', Array.from({ length: FORK_EXECS }, (_, i) => `${i}\n`).join(''))}  -`],
  },
  {
    name: 'sha256sum',
    what: 'sha256sum of an 8 MiB file in tmpfs',
    body: `sha256sum ${DATA}`,
    expect: () => [`${hash('sha256', dataFile())}  ${DATA}`],
  },
  {
    name: 'awk',
    what: `awk floating-point loop, ${AWK_ITERATIONS.toLocaleString('en-US')} iterations (sqrt, divide, add)`,
    body: `awk 'BEGIN { s = 0; for (i = 1; i <= ${AWK_ITERATIONS}; i++) s += sqrt(i) / (i + 0.5); printf "%.6f\\n", s }'`,
    expect: () => [awkSum()],
  },
  {
    name: 'sort',
    what: `sort of ${SORT_LINES.toLocaleString('en-US')} lines`,
    body: `sort ${LINES} > ${SORTED}`,
    check: `wc -l < ${SORTED}; md5sum < ${SORTED}`,
    // busybox sort in the C locale compares bytes; JavaScript's default sort compares UTF-16
    // code units, the same order for ASCII digits.
    expect: () => [String(SORT_LINES), `${hash('md5', parkMiller().sort().map((l) => `${l}\n`).join(''))}  -`],
  },
];

/** Phases by name, in the order of PHASES; throws on an unknown name. */
export function selectPhases(names) {
  if (names === undefined) return PHASES;
  const wanted = names.split(',').map((s) => s.trim()).filter(Boolean);
  if (wanted.length === 0) throw new Error(`--phases names no phase (phases: ${PHASES.map((p) => p.name).join(', ')})`);
  for (const n of wanted) {
    if (!PHASES.some((p) => p.name === n)) throw new Error(`unknown phase '${n}' (phases: ${PHASES.map((p) => p.name).join(', ')})`);
  }
  return PHASES.filter((p) => wanted.includes(p.name));
}
