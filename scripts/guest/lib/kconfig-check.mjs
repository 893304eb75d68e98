// Checks that a final Kconfig `.config` honours every request of a config fragment.
// merge_config.sh only warns when a dependency drops an option; the guest build fails instead.

/**
 * Parses a Kconfig fragment into requests: `CONFIG_X=value` (must appear with that exact value) and
 * `# CONFIG_X is not set` (must not be `y` or `m`).
 * @param {string} text
 * @returns {{ name: string, value: string | null }[]} value null means "not set".
 */
export function parseKconfigFragment(text) {
  const requests = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) {
      requests.push({ name: m[1], value: m[2] });
      continue;
    }
    m = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (m) requests.push({ name: m[1], value: null });
  }
  return requests;
}

/**
 * Parses a `.config` into a map name → value (options "is not set" are absent).
 * @param {string} text
 * @returns {Map<string, string>}
 */
export function parseKconfig(text) {
  const values = new Map();
  for (const raw of text.split('\n')) {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(raw.trim());
    if (m) values.set(m[1], m[2]);
  }
  return values;
}

/**
 * Returns one human-readable line per request of `fragmentText` that `configText` does not honour
 * (empty when all are honoured).
 * @param {string} fragmentText
 * @param {string} configText
 * @returns {string[]}
 */
export function missingKconfigOptions(fragmentText, configText) {
  const final = parseKconfig(configText);
  const problems = [];
  for (const { name, value } of parseKconfigFragment(fragmentText)) {
    const actual = final.get(name);
    if (value === null) {
      if (actual === 'y' || actual === 'm') problems.push(`${name} must not be set, but it is ${name}=${actual}`);
    } else if (actual !== value) {
      problems.push(actual === undefined ? `${name}=${value} requested, but it is not set` : `${name}=${value} requested, but it is ${name}=${actual}`);
    }
  }
  return problems;
}

/**
 * Applies a fragment to a `.config` text: each requested line replaces any existing line for the
 * same option (set or "is not set"), appended at the end; `make oldconfig` then settles dependencies.
 * @param {string} configText
 * @param {string} fragmentText
 * @returns {string}
 */
export function applyKconfigFragment(configText, fragmentText) {
  const requests = parseKconfigFragment(fragmentText);
  const names = new Set(requests.map((r) => r.name));
  const kept = configText.split('\n').filter((line) => {
    const m = /^(?:# )?(CONFIG_[A-Za-z0-9_]+)(?:=| is not set)/.exec(line);
    return !(m && names.has(m[1]));
  });
  while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
  const added = requests.map((r) => (r.value === null ? `# ${r.name} is not set` : `${r.name}=${r.value}`));
  return [...kept, ...added, ''].join('\n');
}
