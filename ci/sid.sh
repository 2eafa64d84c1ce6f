# Sourced by ci/bootstrap-sid and ci/wheel-sid: Debian sid in a folder
# (.deps/sid/root), the build and test environment of V8 13.6. sid carries Node 24's libnode137
# (V8 13.6), which needs glibc 2.43: it can be built against and run only with sid's own C
# library, so the build and the tests run inside that root (chroot), with the checkout at /src.
# Expects `root` (the checkout) and `fail` and `say` functions.

sid_dir=$root/.deps/sid
sid_root=$sid_dir/root
# What the root holds beyond a minimal system: the compiler and build tools, V8 13.6's headers
# and library, OpenSSL's headers (the web globals' digests), sid's CPythons with their headers
# and venv. Chromium, for the dashboard test, valgrind, for the instruction counts, and git,
# with which ci/wheel-test copies the checkout, come after with apt-get, whose resolver chooses among the alternatives their
# dependencies name (debootstrap's does not).
sid_packages=(g++ cmake ninja-build libnode-dev libssl-dev ca-certificates
  python3-dev python3-venv python3.13-dev python3.13-venv python3.14-dev python3.14-venv
  python3.15-dev python3.15-venv)
sid_apt_packages=(chromium git valgrind)
sid_mirror=http://deb.debian.org/debian

# Makes .deps/sid/root once. The packages debootstrap fetched are kept in a tarball beside it,
# so a new root (after `rm -rf .deps/sid/root`) is unpacked without downloading them again.
make_sid_root() {
  [ -f "$sid_root/.complete" ] && return 0
  [ "$(id -u)" = 0 ] || fail "making the sid root needs root (debootstrap and chroot)"
  if ! command -v debootstrap >/dev/null; then
    command -v apt-get >/dev/null || fail "debootstrap is needed (apt-get install debootstrap)"
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; } \
      || fail "apt-get install debootstrap failed"
  fi
  local include tarball=$sid_dir/packages.tgz log=$sid_dir/debootstrap.log
  include=$(IFS=,; echo "${sid_packages[*]}")
  mkdir -p "$sid_dir"
  # A tarball of another package list is stale.
  if [ -f "$tarball" ] && [ "$(cat "$sid_dir/packages.list" 2>/dev/null)" != "$include" ]; then
    rm -f "$tarball"
  fi
  if [ ! -f "$tarball" ]; then
    say "fetching Debian sid's packages into .deps/sid/packages.tgz"
    rm -rf "$sid_root"
    debootstrap --variant=minbase --include="$include" --make-tarball="$tarball.part" \
      sid "$sid_root" "$sid_mirror" > "$log" 2>&1 \
      || { tail -20 "$log" >&2; fail "debootstrap --make-tarball failed (log: $log)"; }
    mv "$tarball.part" "$tarball"
    echo "$include" > "$sid_dir/packages.list"
  fi
  say "unpacking Debian sid into .deps/sid/root"
  rm -rf "$sid_root"
  debootstrap --variant=minbase --include="$include" --unpack-tarball="$tarball" \
    sid "$sid_root" "$sid_mirror" > "$log" 2>&1 \
    || { tail -20 "$log" >&2; fail "debootstrap of sid failed (log: $log)"; }
  # The root trusts what this machine trusts (a registry may sit behind a proxy of its own).
  cp /etc/ssl/certs/ca-certificates.crt "$sid_root/etc/ssl/certs/ca-certificates.crt"
  [ -f "$sid_root/usr/include/node/v8-version.h" ] || fail "sid's libnode-dev left no headers"
  # apt-get keeps what it downloads in .deps/sid/archives, for the next root. The mirror may
  # serve a release file past its validity date (a snapshot of sid), which is taken as it is.
  say "installing ${sid_apt_packages[*]} into the sid root"
  mkdir -p "$sid_dir/archives/partial"
  in_sid "apt-get -q -o Acquire::Check-Valid-Until=false update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends -o Dir::Cache::archives=/src/.deps/sid/archives ${sid_apt_packages[*]} >/dev/null" \
    || fail "apt-get install ${sid_apt_packages[*]} in the sid root failed"
  touch "$sid_root/.complete"
}

# Runs COMMAND (a bash script) inside the sid root, in a mount namespace of its own: /proc, /dev,
# /dev/shm and the checkout (at /src) are mounted there and vanish with it. The root is bound
# onto itself first, so that its / is a mount point, and ci/wheel-test can make mount namespaces
# of its own inside. The host's resolver configuration is copied in for the registries.
in_sid() {
  cp -L /etc/resolv.conf "$sid_root/etc/resolv.conf" 2>/dev/null || true
  unshare --mount --propagation private -- bash -c '
    set -e
    r=$1 src=$2
    shift 2
    mount --bind "$r" "$r"
    mount -t proc proc "$r/proc"
    mount --rbind /dev "$r/dev"
    mount -t tmpfs tmpfs "$r/tmp"
    mkdir -p "$r/src"
    mount --bind "$src" "$r/src"
    exec chroot "$r" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
      SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt PIP_DISABLE_PIP_VERSION_CHECK=1 \
      CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
      /bin/bash -c "cd /src && $1"
  ' in_sid "$sid_root" "$root" "$1"
}
