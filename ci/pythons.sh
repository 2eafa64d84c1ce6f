# Sourced by ci/wheel and ci/wheel-test: finds the interpreter of a CPython version.

# The interpreter of CPython X.Y: on PATH, or installed by pyenv (whose shims only answer for
# the versions selected in the shell). Prints its path; fails when there is none.
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
  return 1
}
