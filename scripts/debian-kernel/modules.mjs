// Kernel modules of a distribution kernel package: what each module needs (its .modinfo
// section's depends= list, which is what depmod turns into modules.dep, and softdep= "pre:"
// modules, which modprobe loads first; Debian's .deb ships no modules.dep, its postinst runs
// depmod) and the order to insmod a set of them in.

/** A module's name as the kernel knows it: file name without .ko(.xz|.zst|.gz), "-" → "_". */
export function moduleName(fileName) {
  const m = /^(.+)\.ko(?:\.(?:xz|zst|gz))?$/.exec(fileName);
  if (!m) throw new Error(`not a kernel module file name: ${fileName}`);
  return m[1].replace(/-/g, '_');
}

/**
 * The key=value strings of the .modinfo section of a (decompressed) 64-bit little-endian ELF
 * module, as a Map from key to its values (alias= and others come more than once).
 */
export function readModinfo(elf) {
  const b = Buffer.from(elf.buffer, elf.byteOffset, elf.byteLength);
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  if (b[4] !== 2 || b[5] !== 1) throw new Error('not a 64-bit little-endian ELF file');
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  const shstrndx = b.readUInt16LE(0x3e);
  if (shentsize < 64 || shstrndx >= shnum || shoff + shnum * shentsize > b.length) throw new Error('bad ELF section header table');
  const section = (i) => {
    const h = shoff + i * shentsize;
    const offset = Number(b.readBigUInt64LE(h + 0x18));
    const size = Number(b.readBigUInt64LE(h + 0x20));
    const nobits = b.readUInt32LE(h + 4) === 8;
    if (!nobits && offset + size > b.length) throw new Error(`ELF section ${i} lies outside the file`);
    return { name: b.readUInt32LE(h), offset, size };
  };
  const names = section(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    const at = names.offset + s.name;
    if (at >= names.offset + names.size) continue;
    const end = b.indexOf(0, at);
    if (b.toString('latin1', at, end) !== '.modinfo') continue;
    const info = new Map();
    for (const entry of b.toString('latin1', s.offset, s.offset + s.size).split('\0')) {
      const eq = entry.indexOf('=');
      if (eq > 0) info.set(entry.slice(0, eq), [...(info.get(entry.slice(0, eq)) ?? []), entry.slice(eq + 1)]);
    }
    return info;
  }
  throw new Error('the ELF file has no .modinfo section (not a kernel module)');
}

/** The module names in a modinfo's depends= (comma separated, may be empty). */
export function moduleDepends(info) {
  return (info.get('depends')?.[0] ?? '').split(',').filter((d) => d !== '').map((d) => d.replace(/-/g, '_'));
}

/**
 * The modules (names or aliases, e.g. "crypto-crc32c") a modinfo's softdep= lines want loaded
 * before it: the words after "pre:" up to "post:" (modprobe.d(5) syntax).
 */
export function softdepsPre(info) {
  const out = [];
  for (const line of info.get('softdep') ?? []) {
    let pre = false;
    for (const w of line.trim().split(/\s+/)) {
      if (w === 'pre:' || w === 'post:') pre = w === 'pre:';
      else if (pre && w !== '') out.push(w);
    }
  }
  return out;
}

/** The aliases of built-in modules, from modules.builtin.modinfo ("module.alias=value" strings). */
export function builtinAliases(modinfo) {
  const out = new Set();
  for (const entry of modinfo.toString('latin1').split('\0')) {
    const m = /^[^.=]+\.alias=(.+)$/.exec(entry);
    if (m) out.add(m[1]);
  }
  return out;
}

/**
 * The insmod order for `wanted` and everything they depend on: each module after its
 * dependencies, otherwise in the order wanted. `depends(name)` returns a module's dependencies
 * or undefined when the package has no such module; built-in modules are left out.
 */
export function loadOrder(wanted, depends, builtin = new Set()) {
  const order = [];
  const state = new Map(); // name -> 'visiting' | 'done'
  const visit = (name, chain) => {
    if (builtin.has(name) || state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Error(`module dependency cycle: ${[...chain, name].join(' -> ')}`);
    const deps = depends(name);
    if (deps === undefined) throw new Error(`no module ${name}${chain.length ? ` (needed by ${chain.at(-1)})` : ''} in the package, nor built in`);
    state.set(name, 'visiting');
    for (const d of deps) visit(d, [...chain, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const w of wanted) visit(w, []);
  return order;
}

/** The names in a modules.builtin file (lines like kernel/fs/ext4/ext4.ko). */
export function parseBuiltin(text) {
  return new Set(text.split('\n').filter((l) => l.trim() !== '').map((l) => moduleName(l.trim().split('/').pop())));
}
