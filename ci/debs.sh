# Sourced by ci/pythons.sh and ci/wheel: fetches Debian packages into private folders under
# .deps/. Expects `root` (the checkout) and `fail` and `say` functions.

# apt-get with a configuration of its own under .deps/apt: bookworm (this machine's release, for
# arm64 builds of what the x86_64 ones use) and sid (the newest CPythons, asked for by name:
# `pkg/sid`; bookworm is preferred otherwise), for amd64 and arm64, with lists and caches of its
# own. The system's sources and state stay untouched, and nothing is installed: packages are
# only downloaded and unpacked.
private_apt() {
  local dir=$root/.deps/apt
  if [ ! -f "$dir/apt.conf" ]; then
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/preferences.d"
    : > "$dir/status"
    printf 'Package: *\nPin: release n=sid\nPin-Priority: 100\n' > "$dir/preferences"
    local keys=/usr/share/keyrings/debian-archive-keyring.gpg mirror=http://deb.debian.org
    cat > "$dir/sources.list" <<EOF
deb [signed-by=$keys] $mirror/debian sid main
deb [signed-by=$keys] $mirror/debian bookworm bookworm-updates main
deb [signed-by=$keys] $mirror/debian-security bookworm-security main
EOF
    cat > "$dir/apt.conf" <<EOF
Dir::State "$dir";
Dir::State::Lists "$dir/lists";
Dir::State::status "$dir/status";
Dir::Cache "$dir/cache";
Dir::Etc::SourceList "$dir/sources.list";
Dir::Etc::SourceParts "$dir/sources.list.d";
Dir::Etc::Preferences "$dir/preferences";
Dir::Etc::PreferencesParts "$dir/preferences.d";
APT::Architecture "amd64";
APT::Architectures { "amd64"; "arm64"; };
APT::Sandbox::User "root";
EOF
  fi
  APT_CONFIG=$dir/apt.conf apt-get -q "$@"
}

# Downloads PACKAGES (apt's name[:arch][/release|=version]) and unpacks them into ROOT with the
# links of a merged-/usr system. The lists are read anew when they are missing, and once more
# when a download fails (sid moves on: a package of an old list may be gone).
unpack_debs() {
  local target=$1 dl
  shift
  command -v apt-get >/dev/null || fail "apt-get is needed to fetch $*"
  dl=$(mktemp -d)
  if [ -z "$(ls "$root/.deps/apt/lists" 2>/dev/null | grep -v partial)" ]; then
    private_apt update >/dev/null 2>&1 || { rm -rf "$dl"; fail "apt-get update (.deps/apt) failed"; }
  fi
  if ! (cd "$dl" && private_apt download "$@" >/dev/null 2>&1); then
    private_apt update >/dev/null 2>&1 || { rm -rf "$dl"; fail "apt-get update (.deps/apt) failed"; }
    (cd "$dl" && private_apt download "$@" >"$dl/download.log" 2>&1) \
      || { cat "$dl/download.log" >&2; rm -rf "$dl"; fail "downloading $* failed"; }
  fi
  mkdir -p "$target"
  local deb
  for deb in "$dl"/*.deb; do dpkg-deb -x "$deb" "$target" || fail "could not unpack $deb"; done
  rm -rf "$dl"
  local dir
  for dir in lib lib64 bin sbin; do
    if [ -d "$target/usr/$dir" ] && [ ! -e "$target/$dir" ]; then ln -s "usr/$dir" "$target/$dir"; fi
  done
}
