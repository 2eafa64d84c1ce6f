# Sourced by ci/wheel and ci/wheel-test: finds the interpreter of a CPython version, unpacking
# Debian's builds of the versions pyenv cannot fetch here into private roots under .deps/.
# Expects `root` (the checkout) and `fail` and `say` functions.

# shellcheck source=ci/debs.sh
. "$root/ci/debs.sh"

# Versions that come from Debian sid's binary packages (pyenv has no build of them here).
debian_pythons=(3.14 3.15)

# A private root holding Debian sid's CPython VERSION for x86_64 (with the headers of x86_64
# and aarch64) and the C and C++ runtime it was built against, newer than this machine's. Prints
# the path of its interpreter: a script that starts it through the root's own loader, whatever
# name it is called by (a venv's python links to it), and keeps that name as argv[0], from which
# the interpreter finds its venv and its standard library.
debian_python() {
  local version=$1 dir=$root/.deps/pythons/cp${1/./}-x86_64
  local python=$dir/usr/bin/python$version-run
  if [ ! -f "$dir/.complete" ]; then
    say "unpacking Debian's CPython $version into .deps/pythons/ (from sid)" >&2
    rm -rf "$dir"
    # What the interpreter and the standard library's extension modules load, pip's wheel (a
    # venv gets it from there) and the headers; libpython's arm64 headers add only arm64's
    # pyconfig.h, which the shared pyconfig.h includes when compiling for aarch64.
    unpack_debs "$dir" "python$version-minimal/sid" "libpython$version-minimal/sid" \
      "libpython$version-stdlib/sid" "libpython$version-dev/sid" "libpython$version-dev:arm64/sid" \
      libc6/sid libstdc++6/sid libgcc-s1/sid zlib1g/sid libexpat1/sid libssl3t64/sid \
      libffi8/sid libbz2-1.0/sid liblzma5/sid libzstd1/sid libsqlite3-0/sid libuuid1/sid \
      libncursesw6/sid libtinfo6/sid libreadline8t64/sid python3-pip-whl/sid
    [ -x "$dir/usr/lib64/ld-linux-x86-64.so.2" ] || fail "sid's libc6 left no loader in $dir"
    cat > "$python" <<EOF
#!/bin/sh
# Debian's CPython $version through the loader of its root (ci/pythons.sh).
usr=\$(dirname "\$(dirname "\$(readlink -f "\$0")")")
exec "\$usr/lib64/ld-linux-x86-64.so.2" --library-path "\$usr/lib/x86_64-linux-gnu" \\
  --argv0 "\$0" "\$usr/bin/python$version" "\$@"
EOF
    chmod +x "$python"
    "$python" -c 'import ssl, sqlite3, ctypes, lzma, bz2, zlib, venv' \
      || fail "Debian's CPython $version does not run from $dir"
    touch "$dir/.complete"
  fi
  echo "$python"
}

# A private root holding Debian bookworm's arm64 CPython 3.11 and its libraries, run by
# qemu-user. Prints the path of its interpreter, a script as debian_python's is.
arm64_python() {
  local dir=$root/.deps/pythons/cp311-aarch64
  local python=$dir/usr/bin/python3.11-run
  if [ ! -f "$dir/.complete" ]; then
    say "unpacking Debian's arm64 CPython 3.11 into .deps/pythons/" >&2
    rm -rf "$dir"
    local p packages=()
    for p in python3.11-minimal libpython3.11-minimal libpython3.11-stdlib libc6 libstdc++6 \
             libgcc-s1 zlib1g libexpat1 libssl3 libffi8 libbz2-1.0 liblzma5 libsqlite3-0 \
             libuuid1 libncursesw6 libtinfo6 libreadline8; do
      packages+=("$p:arm64/bookworm")
    done
    unpack_debs "$dir" "${packages[@]}" python3-pip-whl/bookworm
    [ -e "$dir/lib/ld-linux-aarch64.so.1" ] || fail "bookworm's libc6:arm64 left no loader in $dir"
    cat > "$python" <<'EOF'
#!/bin/sh
# Debian's arm64 CPython 3.11 under qemu-user, in its root (ci/pythons.sh).
usr=$(dirname "$(dirname "$(readlink -f "$0")")")
exec qemu-aarch64-static -L "${usr%/usr}" -0 "$0" "$usr/bin/python3.11" "$@"
EOF
    chmod +x "$python"
    "$python" -c 'import ssl, ctypes, venv' || fail "the arm64 CPython 3.11 does not run from $dir"
    touch "$dir/.complete"
  fi
  echo "$python"
}

# The interpreter of CPython X.Y: on PATH, installed by pyenv (whose shims only answer for the
# versions selected in the shell), or Debian's in a private root. Prints its path; fails when
# there is none.
find_python() {
  local version=$1 candidate pyenv_root
  pyenv_root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  for candidate in "$(command -v "python$version" 2>/dev/null)" \
                   $(ls -d "$pyenv_root"/versions/"$version".*/bin/"python$version" 2>/dev/null | sort -V -r); do
    if [ -n "$candidate" ] && "$candidate" -c 'import sys' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  for candidate in "${debian_pythons[@]}"; do
    [ "$candidate" = "$version" ] && { debian_python "$version"; return; }
  done
  return 1
}

# A venv of PYTHON at DIR with pip in it. Debian's venv module installs pip from the system's
# wheel folder, outside a private root: there pip comes from the root's own wheel.
make_venv() {
  local python=$1 venv=$2 wheels pip
  wheels=$(dirname "$(dirname "$(readlink -f "$python")")")/share/python-wheels
  pip=$(ls "$wheels"/pip-*.whl 2>/dev/null | sort -V | tail -1)
  if [ -n "$pip" ]; then
    "$python" -m venv --without-pip "$venv" \
      && "$venv/bin/python" "$pip/pip" install -q --no-index --disable-pip-version-check "$pip"
  else
    "$python" -m venv "$venv"
  fi
}
