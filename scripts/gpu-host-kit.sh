#!/usr/bin/env bash
# Builds the GPU-host kit: what `agora runner run-offline` needs on a host with no Node.js and no
# network (docs/decisions/0070-gpu-host-kit.md). Run it here, carry OUTDIR to the GPU host together
# with a copy of this repository (without node_modules/), then run OUTDIR/agora-offline there.
#
#   bash scripts/gpu-host-kit.sh OUTDIR
#
# OUTDIR gets:
#   agora-offline          the launcher (bash): unpacks Node once, sets up the checkout's node_modules/,
#                          installs the kit's bubblewrap into a private prefix if the host has none,
#                          says whether the sandbox is on, then runs `agora runner run-offline "$@"`
#   node.xz                this repository's Node 24 (node_modules/.bin/node), stripped, xz-compressed
#   node_modules.tar.xz    only the third-party packages the offline runner imports (and theirs)
#   debs/*.deb             bubblewrap and the libraries it links (Debian, amd64), for `dpkg -x`
#   kit.env                versions and checksums, read by the launcher
#
# Environment: AGORA_KIT_XZ_LEVEL (default 9; 0 builds in seconds, for tests), AGORA_KIT_DEBS (a folder
# holding the .deb files, instead of the apt cache or `apt-get download`).
set -euo pipefail

out="${1:-}"
if [ -z "$out" ] || [ "$out" = -h ] || [ "$out" = --help ]; then
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
node="$root/node_modules/.bin/node"
[ -x "$node" ] || { echo "gpu-host-kit: $node is missing; run \`bash scripts/setup.sh\` first" >&2; exit 1; }
level="${AGORA_KIT_XZ_LEVEL:-9}"
[[ "$level" =~ ^[0-9]$ ]] || { echo "gpu-host-kit: AGORA_KIT_XZ_LEVEL must be 0-9" >&2; exit 2; }
command -v xz >/dev/null || { echo "gpu-host-kit: xz is missing (apt-get install xz-utils)" >&2; exit 1; }

mkdir -p "$out"
out="$(cd "$out" && pwd)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
say() { echo "gpu-host-kit: $*" >&2; }

# --- Node ------------------------------------------------------------------------------------------
real="$(readlink -f "$node")"
version="$("$real" --version)"
[[ "$version" == v24.* ]] || { say "expected Node 24 in node_modules, found $version"; exit 1; }
cp "$real" "$stage/node"
# The npm package's binary carries its debug info (about 18 MB); the runtime does not need it.
if command -v strip >/dev/null; then strip "$stage/node"; fi
[ "$("$stage/node" --version)" = "$version" ] || { say "the stripped Node does not run"; exit 1; }
node_sha="$(sha256sum "$stage/node" | cut -d' ' -f1)"
say "compressing Node $version ($(du -m "$stage/node" | cut -f1) MB) with xz -$level"
xz -T0 "-$level" -c "$stage/node" > "$out/node.xz.tmp"
mv "$out/node.xz.tmp" "$out/node.xz"

# --- npm packages ----------------------------------------------------------------------------------
# The roots are the `dependencies` of the workspace packages that `agora runner run-offline` loads:
# cli (the entry), core, sdk and runner. @agora/store is left out on purpose: the runner imports only
# its `challenge-dir` subpath (no dependencies); its index would pull in PGlite and pg. The closure
# follows each package's own dependencies as Node resolves them (nested node_modules first).
# Type declarations and source maps are dropped: nothing reads them at run time.
"$node" --input-type=module - "$root" "$stage/node_modules" > "$stage/modules.txt" <<'EOF'
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
const [root, dest] = process.argv.slice(-2);
const nm = join(root, 'node_modules');
const pkg = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const depsOf = (p) => Object.keys({ ...p.dependencies, ...p.optionalDependencies });
/** Where Node finds `name` from a package at `from`: from/node_modules/name, then upward. */
function locate(name, from) {
  for (let d = from; d.startsWith(root); d = dirname(d)) {
    const c = join(d, 'node_modules', name);
    if (existsSync(join(c, 'package.json'))) return c;
    if (d === root) break;
  }
  throw new Error(`cannot resolve ${name} from ${from}`);
}
const seen = new Map();
const queue = ['cli', 'core', 'sdk', 'runner'].flatMap((w) => depsOf(pkg(join(root, 'packages', w))).map((d) => [d, join(root, 'packages', w)]));
while (queue.length) {
  const [name, from] = queue.shift();
  const at = locate(name, from);
  if (seen.has(at)) continue;
  seen.set(at, name);
  for (const d of depsOf(pkg(at))) queue.push([d, at]);
}
for (const at of [...seen.keys()].sort()) {
  const rel = relative(nm, at);
  cpSync(at, join(dest, rel), {
    recursive: true,
    filter: (src) => {
      const r = relative(at, src);
      return !r.split('/').includes('node_modules') && !/\.(d\.[cm]?ts|map)$/.test(src);
    },
  });
  console.log(`${rel}@${pkg(at).version}`);
}
EOF
modules="$(tr '\n' ' ' < "$stage/modules.txt" | sed 's/ $//')"
for heavy in typescript playwright-core @electric-sql/pglite pg hono; do
  if grep -q "^$heavy@" "$stage/modules.txt"; then say "refusing to ship $heavy: the offline runner must not import it"; exit 1; fi
done
say "npm packages: $modules"
tar -C "$stage" --owner=0 --group=0 --numeric-owner --sort=name -cf - node_modules | xz -T0 "-$level" > "$out/node_modules.tar.xz"

# --- bubblewrap ------------------------------------------------------------------------------------
# bubblewrap itself is required; the libraries it links are a fallback for hosts that lack them
# (the launcher uses them only when the host's own do not let bwrap start).
rm -rf "$out/debs"
mkdir -p "$out/debs" "$stage/debs"
chmod 755 "$stage/debs" # apt-get download drops to the _apt user
arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
[ "$arch" = amd64 ] || say "warning: this host's Debian architecture is $arch, the GPU host is x86-64 (amd64)"
fetch_deb() { # package -> prints the .deb's path, or nothing
  local p="$1" f
  if [ -n "${AGORA_KIT_DEBS:-}" ]; then
    f="$(ls "$AGORA_KIT_DEBS"/"${p}"_*_"$arch".deb 2>/dev/null | sort -V | tail -1)"
    [ -n "$f" ] && { echo "$f"; return; }
  fi
  (cd "$stage/debs" && apt-get download "$p:$arch" >/dev/null 2>&1) || true
  f="$(ls "$stage/debs"/"${p}"_*_"$arch".deb 2>/dev/null | sort -V | tail -1)"
  [ -n "$f" ] && { echo "$f"; return; }
  f="$(ls /var/cache/apt/archives/"${p}"_*_"$arch".deb 2>/dev/null | sort -V | tail -1)"
  [ -n "$f" ] && echo "$f"
  return 0
}
bwrap_version=""
for p in bubblewrap libcap2 libselinux1 libpcre2-8-0; do
  f="$(fetch_deb "$p")"
  if [ -z "$f" ]; then
    if [ "$p" = bubblewrap ]; then
      say "no bubblewrap .deb: \`apt-get download bubblewrap\` failed and none is in /var/cache/apt/archives (or set AGORA_KIT_DEBS)"
      exit 4
    fi
    say "warning: no $p .deb; the kit's bubblewrap will rely on the host's $p"
    continue
  fi
  cp "$f" "$out/debs/"
  [ "$p" = bubblewrap ] && bwrap_version="$(dpkg-deb -f "$f" Version 2>/dev/null || basename "$f" | cut -d_ -f2)"
done

# --- launcher and manifest -------------------------------------------------------------------------
cp "$root/scripts/gpu-host-kit/agora-offline" "$out/agora-offline"
chmod 755 "$out/agora-offline"
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
kit_id="$( (echo "$node_sha"; sha256sum "$out/node_modules.tar.xz" "$out"/debs/*.deb "$out/agora-offline" | cut -d' ' -f1) | sha256sum | cut -c1-16)"
cat > "$out/kit.env" <<EOF
# GPU-host kit for \`agora runner run-offline\` (scripts/gpu-host-kit.sh); read by agora-offline.
KIT_ID=$kit_id
KIT_BUILT_FROM=$commit
KIT_BUILT_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
NODE_VERSION=$version
NODE_SHA256=$node_sha
BWRAP_VERSION=$bwrap_version
KIT_MODULES="$modules"
EOF

total="$(du -sb "$out" --exclude=.cache | cut -f1)"
say "built $out ($((total / 1024 / 1024)) MiB, $total bytes):"
(cd "$out" && du -b --exclude=.cache node.xz node_modules.tar.xz debs agora-offline kit.env) | sed 's/^/  /' >&2
if [ "$level" = 9 ] && [ "$total" -gt $((45 * 1024 * 1024)) ]; then say "warning: the kit is over 45 MiB"; fi
echo "$out"
