#!/usr/bin/env bash
# Prepares a Debian 12 (bookworm) machine to build and test Banquise:
#   1. enables deb-src for the Debian suites the machine already uses (`apt-get source busybox`, `u-boot`),
#   2. apt-get update, then installs the missing build/test packages,
#   3. npm ci.
# Idempotent: a second run changes nothing. Uses sudo only when not root. Runs without a terminal (CI).
# Full output goes to a log file; only one progress line per step is printed.
# Options: --deb-src-only   only enable deb-src (step 1), nothing else.
# Environment: BANQUISE_SETUP_SKIP_NPM=1 skips `npm ci`; BANQUISE_SETUP_APT_ETC=<dir> reads and writes
# the source lists under <dir> instead of /etc/apt, without sudo (for tests; implies --deb-src-only).
set -euo pipefail

debsrc_only=0
for arg in "$@"; do
  case "$arg" in
    --deb-src-only) debsrc_only=1 ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) printf 'setup.sh: unknown option %s\n' "$arg" >&2; exit 64 ;;
  esac
done
apt_etc=/etc/apt
if [ -n "${BANQUISE_SETUP_APT_ETC:-}" ]; then
  apt_etc="$BANQUISE_SETUP_APT_ETC"
  debsrc_only=1
fi

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/banquise"
mkdir -p "$cache_dir"
log_file="$cache_dir/setup.log"
: >"$log_file"
start_s=$SECONDS

# Packages: cross compilers and libc for the guest, kernel/busybox/U-Boot build tools (scripts/u-boot.mjs
# needs nothing the guest build does not), firmware for the full mode, bare-metal toolchain for ISA test
# programs, QEMU as the reference, image tools, Chromium (driven headless by playwright-core for
# the browser tests in tests/web/), and gpgv with Debian's archive keys (scripts/debian-kernel.mjs
# checks the trixie archive it fetches Debian's kernel from).
packages=(
  gcc-riscv64-linux-gnu libc6-dev-riscv64-cross linux-source-6.1
  opensbi u-boot-qemu
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
  device-tree-compiler qemu-system-misc qemu-user
  e2fsprogs bc flex bison libssl-dev libelf-dev cpio make gcc dpkg-dev xz-utils
  gzip perl python3 patch ca-certificates
  chromium
  gpgv gpg debian-archive-keyring
)

step() { printf '[setup %4ds] %s\n' "$((SECONDS - start_s))" "$*"; }
fail() {
  printf 'setup failed: %s\n' "$*" >&2
  printf 'full log: %s (last lines below)\n' "$log_file" >&2
  tail -n 25 "$log_file" >&2 || true
  exit 1
}
# Runs a command with its output appended to the log file.
logged() { printf '\n$ %s\n' "$*" >>"$log_file"; "$@" >>"$log_file" 2>&1; }

if [ "$(id -u)" -eq 0 ] || [ "$apt_etc" != /etc/apt ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo -n)
  if ! sudo -n true 2>/dev/null; then
    if [ -t 0 ]; then SUDO=(sudo); else fail "not root and sudo needs a password (no terminal to ask on)"; fi
  fi
else
  fail "not root and sudo is not installed"
fi
as_root() { "${SUDO[@]}" "$@"; }

if [ "$apt_etc" = /etc/apt ]; then
  [ -r /etc/debian_version ] || fail "this script expects Debian 12 (bookworm); /etc/debian_version not found"
  step "Debian $(cat /etc/debian_version) on $(uname -m); log: $log_file"
else
  step "source lists under $apt_etc; log: $log_file"
fi

# --- 1. deb-src -----------------------------------------------------------------------------------
# For every enabled Debian source of type `deb` (one-line .list format or deb822 .sources format)
# without a matching deb-src, write the deb-src twin into one file of our own. System files are not
# edited. Only Debian archives are mirrored (URI host *.debian.org or a path ending in /debian or
# /debian-security), so third-party repositories without source indexes do not break apt-get update.
debsrc_list=$apt_etc/sources.list.d/banquise-deb-src.list
debsrc_sources=$apt_etc/sources.list.d/banquise-deb-src.sources

is_debian_uri() {
  case "$1" in
    *://*.debian.org/* | *://*.debian.org) return 0 ;;
    */debian | */debian/ | */debian-security | */debian-security/) return 0 ;;
    *) return 1 ;;
  esac
}

one_line_files=()
[ -f "$apt_etc/sources.list" ] && one_line_files+=("$apt_etc/sources.list")
deb822_files=()
for f in "$apt_etc"/sources.list.d/*; do
  [ -f "$f" ] || continue
  case "$f" in
    "$debsrc_list" | "$debsrc_sources") ;;
    *.list) one_line_files+=("$f") ;;
    *.sources) deb822_files+=("$f") ;;
  esac
done

# One-line format: "deb [options] uri suite [component...]".
existing_src=""
for f in "${one_line_files[@]}"; do
  existing_src+="$(sed -n 's/^[[:space:]]*deb-src[[:space:]]\+//p' "$f" | tr -s ' \t' ' ')"$'\n'
done
new_list=""
for f in "${one_line_files[@]}"; do
  while IFS= read -r line; do
    rest="$(printf '%s' "$line" | sed -n 's/^[[:space:]]*deb[[:space:]]\+//p' | tr -s ' \t' ' ')"
    [ -n "$rest" ] || continue
    uri="$(printf '%s' "$rest" | sed 's/^\[[^]]*\] *//' | cut -d' ' -f1)"
    is_debian_uri "$uri" || continue
    if ! printf '%s' "$existing_src" | grep -qxF -- "$rest"; then
      new_list+="deb-src $rest"$'\n'
    fi
  done <"$f"
done

# deb822 format: stanzas separated by blank lines; copy each enabled Debian stanza whose Types lacks
# deb-src with "Types: deb-src".
new_sources=""
for f in "${deb822_files[@]}"; do
  new_sources+="$(awk -v self="$f" '
    function flush() {
      if (n > 0 && types ~ /(^|[ \t])deb([ \t]|$)/ && types !~ /deb-src/ && enabled !~ /^[ \t]*no/ && debian) {
        printf "# deb-src twin of a stanza in %s\n", self
        for (i = 1; i <= n; i++) {
          if (lines[i] ~ /^Types:/) print "Types: deb-src"; else if (lines[i] !~ /^#/) print lines[i]
        }
        print ""
      }
      n = 0; types = ""; enabled = ""; debian = 0
    }
    /^[ \t]*$/ { flush(); next }
    {
      lines[++n] = $0
      if ($0 ~ /^Types:/) { types = $0; sub(/^Types:/, "", types) }
      if ($0 ~ /^Enabled:/) { enabled = $0; sub(/^Enabled:/, "", enabled) }
      if ($0 ~ /^URIs:/) {
        m = split(substr($0, 6), u, /[ \t]+/)
        for (j = 1; j <= m; j++) if (u[j] ~ /:\/\/[^\/]*\.debian\.org(\/|$)/ || u[j] ~ /\/debian(-security)?\/?$/) debian = 1
      }
    }
    END { flush() }' "$f")"$'\n'
done
new_sources="$(printf '%s' "$new_sources" | sed '/^$/N;/^\n$/D')"

sources_changed=0
write_if_changed() { # path content
  local path="$1" content="$2"
  if [ -z "$(printf '%s' "$content" | tr -d '[:space:]')" ]; then
    if [ -e "$path" ]; then as_root rm -f "$path"; sources_changed=1; fi
    return
  fi
  if [ -f "$path" ] && [ "$(cat "$path")" = "$(printf '# Written by Banquise scripts/setup.sh: source packages for apt-get source.\n%s' "$content")" ]; then
    return
  fi
  printf '# Written by Banquise scripts/setup.sh: source packages for apt-get source.\n%s\n' "$content" |
    as_root tee "$path" >/dev/null
  sources_changed=1
}
# Keep our own earlier output out of the comparison: rebuild it from the system files only.
write_if_changed "$debsrc_list" "$new_list"
write_if_changed "$debsrc_sources" "$new_sources"
if [ "$sources_changed" -eq 1 ]; then step "deb-src enabled for the Debian suites in use"; else step "deb-src already enabled"; fi
if [ "$debsrc_only" -eq 1 ]; then step "done (--deb-src-only)"; exit 0; fi

# --- 2. apt packages ------------------------------------------------------------------------------
missing=()
for p in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
# apt-get update: always when something is missing or the source list changed; otherwise only if the
# busybox source package is unknown to apt (deb-src lists never fetched).
if [ "${#missing[@]}" -gt 0 ] || [ "$sources_changed" -eq 1 ] || [ -z "$(apt-cache showsrc busybox 2>/dev/null | head -n 1)" ]; then
  step "apt-get update"
  logged as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q || fail "apt-get update failed"
else
  step "apt lists are current (apt-get update skipped)"
fi
[ -n "$(apt-cache showsrc busybox 2>/dev/null | head -n 1)" ] ||
  fail "apt knows no source package 'busybox' even with deb-src enabled (check /etc/apt/sources.list*)"
if [ "${#missing[@]}" -gt 0 ]; then
  step "installing ${#missing[@]} package(s): ${missing[*]}"
  logged as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confold "${missing[@]}" </dev/null || fail "apt-get install failed"
else
  step "all ${#packages[@]} apt packages already installed"
fi

# --- 3. node dependencies -------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || fail "node is not installed (Banquise needs Node.js >= 20; Debian 12's nodejs is 18: use NodeSource or nvm)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || fail "node $(node --version) is too old: Banquise needs Node.js >= 20"
if [ "${BANQUISE_SETUP_SKIP_NPM:-0}" = 1 ]; then
  step "npm ci skipped (BANQUISE_SETUP_SKIP_NPM=1)"
else
  step "npm ci (node $(node --version))"
  (cd "$repo_dir" && logged npm ci --no-audit --no-fund) || fail "npm ci failed"
fi
step "done"
