#!/usr/bin/env bash
# Build the sdist and the wheel as a release would (python -m build), install
# the wheel into a FRESH virtual environment, and prove the INSTALLED program
# works from a folder outside the source tree, so nothing is imported from the
# checkout: its command line (version, demo, report, the three exports,
# backup, restore, check), its shipped files, and an offscreen start that opens the
# main window and a new session form with its face map. Exits non-zero on any
# failure: a wheel that lacks its resources cannot pass.
#
#   scripts/smoke_wheel.sh                  build, install the wheel, check
#   SMOKE_INSTALL=pip scripts/smoke_wheel.sh    check `pip install .` instead
#   SMOKE_INSTALL=pipx scripts/smoke_wheel.sh   check `pipx install .` instead
#                                               (pipx must be on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MODE=${SMOKE_INSTALL:-wheel}
PYTHON=${PYTHON:-python3}

fail() {
  echo "WHEEL SMOKE FAILED: $*" >&2
  exit 1
}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
started=$(date +%s)

# Build from the project's own files only (tracked or new, not ignored), as a
# release from a clean checkout would: setuptools would otherwise read the file
# list a previous build or editable install left in needlelog.egg-info.
SRC=$WORK/src
mkdir -p "$SRC"
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$ROOT" ls-files -z --cached --others --exclude-standard |
    (cd "$ROOT" && tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$SRC"
else
  tar -C "$ROOT" --exclude=./.venv --exclude=./build --exclude=./dist --exclude='*.egg-info' \
    -cf - . | tar -xf - -C "$SRC"
fi

case "$MODE" in
  wheel)
    # The build tool lives in its own environment: it is not a dependency of needlelog.
    echo "+ $PYTHON -m venv (build tools) && pip install build"
    "$PYTHON" -m venv "$WORK/build-venv"
    "$WORK/build-venv/bin/python" -m pip install -q build
    echo "+ python -m build --sdist --wheel"
    "$WORK/build-venv/bin/python" -m build --sdist --wheel --outdir "$WORK/dist" "$SRC" >"$WORK/build.log" 2>&1 ||
      { cat "$WORK/build.log" >&2; fail "python -m build failed"; }
    wheels=("$WORK"/dist/needlelog-*-py3-none-any.whl)
    sdists=("$WORK"/dist/needlelog-*.tar.gz)
    [ -f "${wheels[0]}" ] || fail "no wheel was built"
    [ -f "${sdists[0]}" ] || fail "no sdist was built"
    WHEEL=${wheels[0]}
    echo "  built $(basename "${sdists[0]}") ($(du -k "${sdists[0]}" | cut -f1) KiB) and $(basename "$WHEEL") ($(du -k "$WHEEL" | cut -f1) KiB)"
    echo "+ $PYTHON -m venv (fresh) && pip install $(basename "$WHEEL")"
    "$PYTHON" -m venv "$WORK/venv"
    "$WORK/venv/bin/python" -m pip install -q "$WHEEL"
    BIN=$WORK/venv/bin
    ;;
  pip)
    echo "+ $PYTHON -m venv (fresh) && pip install . (not editable)"
    "$PYTHON" -m venv "$WORK/venv"
    "$WORK/venv/bin/python" -m pip install -q "$SRC"
    BIN=$WORK/venv/bin
    ;;
  pipx)
    command -v pipx >/dev/null || fail "pipx is not on PATH"
    export PIPX_HOME=$WORK/pipx PIPX_BIN_DIR=$WORK/pipx-bin
    echo "+ pipx install . (into a temporary PIPX_HOME)"
    pipx install --python "$PYTHON" "$SRC" >"$WORK/pipx.log" 2>&1 ||
      { cat "$WORK/pipx.log" >&2; fail "pipx install failed"; }
    BIN=$PIPX_HOME/venvs/needlelog/bin
    ;;
  *) fail "SMOKE_INSTALL must be wheel, pip or pipx, not $MODE" ;;
esac
installed=$(date +%s)
EXE=$BIN/needlelog
[ -x "$EXE" ] || fail "the install has no needlelog command"

# Run everything from a folder outside the checkout, with nothing of it on the path.
RUN=$WORK/run
mkdir -p "$RUN"
cd "$RUN"
unset PYTHONPATH NEEDLELOG_DB
export QT_QPA_PLATFORM=offscreen
export NEEDLELOG_HOME=$WORK/home
DB=$RUN/clinic.sqlite3
OUT=$WORK/out.txt

package=$("$BIN/python" -c 'import needlelog, pathlib; print(pathlib.Path(needlelog.__file__).parent)')
case "$package" in
  "$ROOT"/*) fail "needlelog was imported from the checkout ($package), not from the install" ;;
esac
echo "  needlelog is imported from $package"

# run NAME EXPECTED-TEXT -- ARGS...: run the installed program, check its exit
# code is 0, its output holds EXPECTED-TEXT and it printed no traceback.
run() {
  local name=$1 expected=$2
  shift 3
  echo "+ needlelog $*"
  local rc=0
  timeout 300 "$EXE" "$@" >"$OUT" 2>&1 || rc=$?
  sed 's/^/    /' "$OUT"
  [ "$rc" -eq 0 ] || fail "$name exited with $rc"
  grep -qF -- "$expected" "$OUT" || fail "$name did not print '$expected'"
  if grep -q "Traceback" "$OUT"; then fail "$name printed a traceback"; fi
}

version=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$ROOT/needlelog/__init__.py")
run version "needlelog $version" -- --version
run demo "Added 5 demo patients" -- --db "$DB" demo --patients 5 --seed 1
run report "Wrote" -- --db "$DB" report DEMO-000001 --out "$RUN/report.pdf"
head -c 5 "$RUN/report.pdf" | grep -q '%PDF-' || fail "report did not write a PDF"
run "export csv" "" -- --db "$DB" export --format csv --out "$RUN/csv"
[ -s "$RUN/csv/patients.csv" ] && [ -s "$RUN/csv/sessions.csv" ] || fail "export csv wrote no files"
run "export json" "" -- --db "$DB" export --format json --out "$RUN/records.json"
run "export fhir" "FHIR R4 bundle" -- --db "$DB" export --format fhir --out "$RUN/bundle.json"
for file in records.json bundle.json; do
  "$BIN/python" -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$RUN/$file" ||
    fail "$file is not JSON"
done
# The installed pyrage encrypts (age format) and the restore opens what it wrote.
export NEEDLELOG_BACKUP_PASSPHRASE="smoke test passphrase words"
run backup "encrypted with a passphrase" -- --db "$DB" backup --out "$RUN/backup.zip.age"
head -c 21 "$RUN/backup.zip.age" | grep -q 'age-encryption.org/v1' || fail "backup is not an age file"
run restore "Restored 5 patients" -- --db "$DB" restore "$RUN/backup.zip.age"
unset NEEDLELOG_BACKUP_PASSPHRASE
run "plain backup" "not encrypted" -- --db "$DB" backup --no-encrypt --out "$RUN/backup.zip"
[ -s "$RUN/backup.zip" ] || fail "backup wrote no file"
run check "OK:" -- --db "$DB" check
NEEDLELOG_SMOKE_EXIT_AFTER_MS=1500 NEEDLELOG_SMOKE_SESSION_FORM=1 \
  run window "smoke: session form shown with" -- --db "$DB"

# Every file of the repository's resources/ folder is installed with the package.
echo "+ every file of resources/ is installed"
(cd "$ROOT/resources" && find . -type f ! -name '*.py' ! -path '*/__pycache__/*' | sed 's|^\./||') |
  "$BIN/python" -c '
import sys
from needlelog import resource_files
missing = []
for line in sys.stdin:
    try:
        resource_files.path(*line.strip().split("/"))
    except resource_files.ResourceError as exc:
        missing.append(str(exc))
print("\n".join(missing) or "  all present in " + str(resource_files.root()))
sys.exit(1 if missing else 0)
' || fail "the install lacks some of resources/"

finished=$(date +%s)
venv_dir=$(cd "$BIN/.." && pwd)
echo "installed needlelog ($MODE) OK: environment $(du -sh "$venv_dir" | cut -f1), package $(du -sh "$package" | cut -f1); build and install $((installed - started)) s, checks $((finished - installed)) s"
