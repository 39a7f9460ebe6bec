#!/usr/bin/env bash
# Builds the container image of iamd and iamctl (default tag iamd:local) FROM scratch: the
# two binaries (debug info stripped), every shared library `ldd` lists for them, the dynamic
# loader, /etc/passwd and /etc/group with the user iamd (10001), /tmp and /var/lib/iamd
# (owned by 10001). No shell, no package manager. See deploy/compose/README.md to run it.
#
#   deploy/image/build.sh                  deploy/build.sh (cargo build --workspace --bins --tests:
#                                          the build the test suite and quick start use), then package
#                                          ${CARGO_TARGET_DIR:-target}/debug/{iamd,iamctl}
#   deploy/image/build.sh --release        cargo build --release --workspace --bins, then
#                                          package .../release/{iamd,iamctl}
#   deploy/image/build.sh --bin-dir DIR    package DIR/iamd and DIR/iamctl; no cargo
#   --tag NAME (or IMAGE=NAME)             the image's name (default iamd:local)
#
# The binaries must be built for this machine's architecture and libc: their libraries are
# copied from this machine. Needs docker, ldd, tar and objcopy (binutils).
set -euo pipefail
umask 022

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

root="$(cd "$(dirname "$0")/../.." && pwd)"
tag="${IMAGE:-iamd:local}"
profile=debug
bin_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --release) profile=release ;;
    --bin-dir) [ $# -ge 2 ] || { echo "build.sh: --bin-dir needs a directory" >&2; exit 2; }
      bin_dir="$2"; shift ;;
    --bin-dir=*) bin_dir="${1#--bin-dir=}" ;;
    --tag) [ $# -ge 2 ] || { echo "build.sh: --tag needs a name" >&2; exit 2; }
      tag="$2"; shift ;;
    --tag=*) tag="${1#--tag=}" ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ -n "$bin_dir" ]; then
  [ -d "$bin_dir" ] || { echo "build.sh: --bin-dir $bin_dir: no such directory" >&2; exit 1; }
  bin_dir="$(cd "$bin_dir" && pwd)"   # before the cd below: relative to where you are
fi
for tool in docker ldd tar objcopy; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing" >&2; exit 1; }
done
docker info >/dev/null 2>&1 || { echo "build.sh: cannot reach the Docker engine (docker info failed)" >&2; exit 1; }

cd "$root"
if [ -z "$bin_dir" ]; then
  if [ "$profile" = release ]; then
    bash tests/setup.sh
    echo "build.sh: cargo build --release --workspace --bins" >&2
    cargo build --release --workspace --bins
  elif [ -f deploy/build.sh ]; then
    # The build the quick start and the test suite share (same selection, same features).
    echo "build.sh: deploy/build.sh (cargo build --workspace --bins --tests)" >&2
    bash deploy/build.sh
  else
    bash tests/setup.sh
    echo "build.sh: cargo build --workspace --bins --tests" >&2
    cargo build --workspace --bins --tests
  fi
  # Relative like cargo's: CARGO_TARGET_DIR is taken from the repository root (cwd here).
  bin_dir="$(cd "${CARGO_TARGET_DIR:-target}/$profile" && pwd)"
fi
for b in iamd iamctl; do
  [ -x "$bin_dir/$b" ] || { echo "build.sh: $bin_dir/$b is missing or not executable" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/iamd-image.XXXXXX")"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/var/lib/iamd" "$rootfs/run"

# Binaries, without their debug info (a debug build is mostly DWARF); the symbol table stays,
# so panics still print function names.
for b in iamd iamctl; do
  objcopy --strip-debug "$bin_dir/$b" "$rootfs/usr/local/bin/$b"
  chmod 0755 "$rootfs/usr/local/bin/$b"
done

# Shared libraries and the loader, at the paths ldd resolved them to here.
libs=()
for b in iamd iamctl; do
  out="$(ldd "$bin_dir/$b" 2>&1)" || true
  if grep -q 'not found' <<<"$out"; then
    echo "build.sh: $b needs libraries this machine lacks:" >&2
    grep 'not found' <<<"$out" >&2
    exit 1
  fi
  if grep -Eq 'not a dynamic executable|statically linked' <<<"$out"; then
    continue
  fi
  while read -r line; do
    case "$line" in
      *'=> /'*) lib="${line#*=> }"; libs+=("${lib%% (*}") ;;   # libx.so.N => /path (0x..)
      /*) libs+=("${line%% (*}") ;;                            # /lib64/ld-linux-x86-64.so.2 (0x..)
      *) ;;                                                    # linux-vdso.so.1 (0x..)
    esac
  done <<<"$out"
done
for lib in $(printf '%s\n' "${libs[@]}" | sort -u); do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
  chmod 0755 "$rootfs$lib"
done

# Users: root and iamd (10001), neither with a shell (there is none).
printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
  'iamd:x:10001:10001:iamd:/var/lib/iamd:/sbin/nologin' >"$rootfs/etc/passwd"
printf '%s\n' 'root:x:0:' 'iamd:x:10001:' >"$rootfs/etc/group"
# Name lookups (peer and seed addresses): /etc/hosts, then DNS (Docker's resolver).
printf '%s\n' 'hosts: files dns' >"$rootfs/etc/nsswitch.conf"
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group" "$rootfs/etc/nsswitch.conf"
chmod 1777 "$rootfs/tmp"
chmod 0700 "$rootfs/var/lib/iamd"

# One tar, fixed owners and mtimes (the commit's time): the same binaries give the same layer.
epoch="${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)}"
tar_opts=(--sort=name --numeric-owner --mtime="@$epoch" --format=gnu)
tar -C "$rootfs" "${tar_opts[@]}" --owner=0 --group=0 --exclude=./var/lib/iamd -cf "$work/rootfs.tar" .
tar -C "$rootfs" "${tar_opts[@]}" --owner=10001 --group=10001 --no-recursion -rf "$work/rootfs.tar" ./var/lib/iamd
cp "$root/deploy/image/Dockerfile" "$work/Dockerfile"

version="$("$bin_dir/iamd" --version 2>/dev/null | awk '{print $NF}')" || version=unknown
revision="$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)"
if [ "$revision" != unknown ] && [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  revision="$revision-dirty"
fi
created="$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)"

nlibs="$(printf '%s\n' "${libs[@]}" | sort -u | grep -c . || true)"
echo "build.sh: building $tag from $bin_dir (iamd ${version:-unknown}, $nlibs libraries with the loader)" >&2
docker build --tag "$tag" \
  --build-arg VERSION="${version:-unknown}" \
  --build-arg REVISION="$revision" \
  --build-arg CREATED="$created" \
  "$work" >&2

size="$(docker image inspect --format '{{.Size}}' "$tag")"
echo "build.sh: built $tag: $(awk -v s="$size" 'BEGIN { printf "%.1f MB", s / 1000000 }') ($size bytes)"
