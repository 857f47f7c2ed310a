# Sourced by scripts/demo and scripts/test: make .venv with scslab installed, once (again when
# pyproject.toml, the lock file or this script changes).
#
# The pinned versions of requirements-dev.txt (the lock file; scripts/lock refreshes it) are
# installed first, then scslab itself, editable, with its `dev` extra: anything pyproject.toml
# names that the lock lacks is still installed. uv installs when it is on PATH, or else is
# fetched into .venv by pip (a few seconds; it installs the rest several times faster than pip);
# SCSLAB_INSTALLER=pip uses pip throughout. The lock is for the project's machine (CPython 3.11,
# Linux x86_64); elsewhere it is skipped and the versions are resolved from pyproject.toml.
#
# scslab is installed in setuptools' "compat" editable mode: a path entry, not an import hook.
# With the hook, Python started in the folder that holds the clone (when the clone's folder is
# named scslab) imported that folder as an empty namespace package instead of the package.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.scslab-installed"
lock="$root/requirements-dev.txt"
if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv ..." >&2
  python3 -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ] || [ "$lock" -nt "$stamp" ] ||
   [ "${BASH_SOURCE[0]}" -nt "$stamp" ]; then
  echo "installing scslab and its dependencies into .venv (first run only; log: .venv/install.log) ..." >&2
  set +e
  (
    set -e
    py="$venv/bin/python"
    uv=""
    if [ "${SCSLAB_INSTALLER:-}" != "pip" ]; then
      uv="$(command -v uv || true)"
      if [ -z "$uv" ] && "$py" -m pip install -q uv; then
        uv="$venv/bin/uv"
      fi
    fi
    if [ -n "$uv" ]; then
      echo "installer: $uv ($("$uv" --version))"
      install() { "$uv" pip install --python "$py" "$@"; }
    else
      echo "installer: pip"
      "$py" -m pip install -q --upgrade pip
      install() { "$py" -m pip install -q "$@"; }
    fi
    if [ -f "$lock" ] && "$py" -c 'import platform, sys; sys.exit(not (sys.version_info[:2] == (3, 11) and platform.system() == "Linux" and platform.machine() == "x86_64"))'; then
      install -r "$lock"
    fi
    # (a setuptools without the compat mode falls back to its default: the test
    # tests/test_readme_elsewhere.py then says so)
    install -e "$root[dev]" -C editable_mode=compat || install -e "$root[dev]"
  ) >"$venv/install.log" 2>&1
  status=$?
  set -e
  if [ "$status" -ne 0 ]; then
    cat "$venv/install.log" >&2
    echo "installation failed (see above)" >&2
    exit 1
  fi
  touch "$stamp"
fi
export PATH="$venv/bin:$PATH"
cd "$root"
