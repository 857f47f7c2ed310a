# Sourced by scripts/demo and scripts/test: make .venv with scslab installed, once.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.scslab-installed"
if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv ..." >&2
  python3 -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ]; then
  echo "installing scslab and its dependencies into .venv (first run only; log: .venv/install.log) ..." >&2
  if ! { "$venv/bin/python" -m pip install -q --upgrade pip &&
         "$venv/bin/python" -m pip install -q -e "$root[dev]"; } >"$venv/install.log" 2>&1; then
    cat "$venv/install.log" >&2
    echo "installation failed (see above)" >&2
    exit 1
  fi
  touch "$stamp"
fi
export PATH="$venv/bin:$PATH"
cd "$root"
