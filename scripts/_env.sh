# Sourced by the scripts: make sure ./.venv exists and holds the project at the pinned versions.
# Usage: . scripts/_env.sh [extra]   (extra = "test" to install the test tools too)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=${WULIAN_PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "需要 Python 3.11 或更高版本（当前：$("$python" --version 2>&1)）；可用 WULIAN_PYTHON 指定解释器" >&2
  exit 1
fi
venv="$root/.venv"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
stamp="$venv/.wulian-installed${1:+-$1}"
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ] || [ "$root/constraints.txt" -nt "$stamp" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --constraint "$root/constraints.txt" --editable "$root${1:+[$1]}"
  touch "$stamp"
fi
export PATH="$venv/bin:$PATH"
cd "$root"
