# Sourced by ci/bootstrap and ci/wheel: finds V8 (or fetches Debian's libnode into .deps/) and
# installs the runtime libraries libnode links against. Expects `root` (the checkout), and
# `fail` and `say` functions. Exports V8_ROOT.

# Runtime libraries that Debian's libnode links against, and the headers of one of them,
# libcrypto, whose digests the core uses too (crypto.subtle.digest, native/core/web).
v8_runtime_libs=(libc-ares2 libuv1 libicu72 libnghttp2-14 libbrotli1 libssl3 zlib1g libssl-dev)

apt_updated=0
apt_update_once() {
  if [ "$apt_updated" = 0 ]; then
    say "apt-get update"
    apt-get update -qq >/dev/null || fail "apt-get update failed"
    apt_updated=1
  fi
}

find_v8() {
  if [ -n "${V8_ROOT:-}" ]; then
    [ -d "$V8_ROOT" ] || fail "V8_ROOT=$V8_ROOT is not a directory"
    say "using V8 from V8_ROOT=$V8_ROOT"
    export V8_ROOT
    return
  fi
  # A system libnode-dev is used only when its library is installed beside the headers.
  local multiarch
  multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
  if [ -f /usr/include/node/v8-version.h ] && ls /usr/lib/"$multiarch"/libnode.so.* >/dev/null 2>&1 \
     && dpkg-query -W -f='${Status}' libnode-dev 2>/dev/null | grep -q "ok installed"; then
    export V8_ROOT=/usr
    say "using the system libnode-dev"
    return
  fi
  local deps=$root/.deps
  if ! ls "$deps"/usr/lib/*/libnode.so.* >/dev/null 2>&1 || [ ! -f "$deps/usr/include/node/v8-version.h" ]; then
    command -v apt-get >/dev/null || fail "no V8 found: set V8_ROOT (headers in include/, library in lib/)"
    apt_update_once
    local dl
    dl=$(mktemp -d)
    say "fetching libnode108 and libnode-dev into .deps/"
    (cd "$dl" && apt-get download -qq libnode108 libnode-dev 2>/dev/null) \
      || fail "apt-get download libnode108 libnode-dev failed"
    rm -rf "$deps" && mkdir -p "$deps"
    for deb in "$dl"/*.deb; do dpkg-deb -x "$deb" "$deps" || fail "could not unpack $deb"; done
    rm -rf "$dl"
  fi
  export V8_ROOT=$deps/usr
  say "using V8 from $V8_ROOT"
}

install_runtime_libs() {
  command -v dpkg-query >/dev/null || return 0
  # A system libnode (libnode-dev installed, as in ci/wheel-sid's root) came with its libraries.
  [ "${V8_ROOT:-}" != /usr ] || return 0
  local missing=() p
  for p in "${v8_runtime_libs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt_update_once
    say "installing runtime libraries: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
      >/dev/null || fail "apt-get install ${missing[*]} failed"
  fi
}

# Debian's arm64 libnode (headers and library) and the arm64 builds of the libraries it links
# against, unpacked into .deps/arm64: the aarch64 wheels compile against it and auditwheel
# grafts from it. Taken from bookworm, as the x86_64 ones are. Needs ci/debs.sh. Exports
# V8_ROOT_AARCH64.
find_v8_arm64() {
  local dir=$root/.deps/arm64 p packages=()
  if [ ! -f "$dir/.complete" ]; then
    say "fetching libnode108:arm64, libnode-dev:arm64 and their libraries into .deps/arm64/"
    for p in libnode108 libnode-dev "${v8_runtime_libs[@]}"; do packages+=("$p:arm64"); done
    rm -rf "$dir"
    unpack_debs "$dir" "${packages[@]}"
    ls "$dir"/usr/lib/aarch64-linux-gnu/libnode.so.* >/dev/null 2>&1 \
      || fail "libnode108:arm64 left no library in $dir"
    touch "$dir/.complete"
  fi
  export V8_ROOT_AARCH64=$dir/usr
}

# A digest of what the built package is made of and of the V8 it is built against (V8_ROOT, the
# argument): a build is redone only when it changes.
source_digest() {
  (cat pyproject.toml CMakeLists.txt
   find native python -type f \( -name '*.cc' -o -name '*.cpp' -o -name '*.js' -o -name '*.h' -o -name '*.cmake' \
     -o -name '*.py' -o -name '*.pyi' -o -name 'py.typed' \) -print0 | sort -z | xargs -0 cat
   echo "$1") | sha256sum | cut -d' ' -f1
}
