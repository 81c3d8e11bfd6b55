#!/usr/bin/env bash
# Whole-process benchmarks of the speed targets, on the cached 10,000-prompt × 10-version
# workspace (built by `cargo bench --bench gen_workspace` when missing):
#   - `galley list --json`: < 150 ms, and within 3× of sqlite3 listing the same names;
#   - `galley diff NAME 1 2` of two 2,000-line versions: within 2× of `git diff --no-index` on
#     the two exported files.
# Each comparison is one hyperfine run; the ratios are printed at the end.
# Usage: bash benches/cli.sh        (from anywhere; installs hyperfine and sqlite3 if missing)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

# --- tools -----------------------------------------------------------------------------------
missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
command -v git >/dev/null || missing+=(git)
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- the binary and the workspace -----------------------------------------------------------
echo "building the release binary..." >&2
cargo build --release --quiet --bin galley
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
galley="$target_dir/release/galley"
echo "making sure the cached workspace exists..." >&2
db=$(cargo bench --quiet --bench gen_workspace | tail -n 1)
[ -f "$db" ] || { echo "no workspace at '$db'" >&2; exit 1; }

work="$target_dir/bench-data/cli"
rm -rf "$work"
mkdir -p "$work"
# No user config may change what galley does (e.g. name the user and so skip the git lookup).
export GALLEY_CONFIG="$work/no-config.toml"
unset GALLEY_DB
long=bench/long-2000

# --- the inputs, checked ----------------------------------------------------------------------
export GALLEY_USER=bench
"$galley" --db "$db" export "$long" --version 1 -o "$work/A.md" >/dev/null
"$galley" --db "$db" export "$long" --version 2 -o "$work/B.md" >/dev/null
listed=$("$galley" --db "$db" list --json | grep -c '"name":' || true)
names=$(sqlite3 "$db" 'SELECT name FROM prompts ORDER BY name' | wc -l)
read -r added removed _ < <(git diff --no-index --numstat "$work/A.md" "$work/B.md" || true)
"$galley" --db "$db" diff "$long" 1 2 >"$work/galley.diff"
git diff --no-index --no-color "$work/A.md" "$work/B.md" >"$work/git.diff" || true
cat <<EOF
workspace:  $db ($(du -m "$db" | cut -f1) MB)
list:       galley lists $listed prompts, sqlite3 lists $names names
diff input: A.md $(wc -l <"$work/A.md") lines, B.md $(wc -l <"$work/B.md") lines; git counts +$added -$removed lines
diff out:   galley $(wc -l <"$work/galley.diff") lines, git $(wc -l <"$work/git.diff") lines
machine:    $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)
EOF
[ "$listed" -eq "$names" ] || { echo "galley and sqlite3 disagree on the prompt count" >&2; exit 1; }

# --- timings --------------------------------------------------------------------------------
# hyperfine -N runs each command without a shell; --export-csv gives mean and median in seconds.
hf() {
    local csv=$1
    shift
    hyperfine --warmup 3 -N --style basic --export-csv "$csv" "$@"
}

echo
echo "== list: galley list --json vs sqlite3 (GALLEY_USER set)"
hf "$work/list.csv" \
    -n galley "$galley --db $db list --json" \
    -n sqlite3 "sqlite3 $db 'SELECT name FROM prompts ORDER BY name'"

echo
echo "== diff: galley diff vs git diff --no-index (GALLEY_USER set)"
# git diff exits 1 when the files differ: -i keeps hyperfine from treating that as a failure.
hf "$work/diff.csv" -i \
    -n galley "$galley --db $db diff $long 1 2" \
    -n git "git diff --no-index --no-color $work/A.md $work/B.md"

echo
echo "== the same galley commands without GALLEY_USER (identity falls through to git's user.name)"
(
    unset GALLEY_USER
    hf "$work/nouser.csv" \
        -n "list (no GALLEY_USER)" "$galley --db $db list --json" \
        -n "diff (no GALLEY_USER)" "$galley --db $db diff $long 1 2"
)

# --- summary --------------------------------------------------------------------------------
# field: 2 = mean, 4 = median (seconds).
get() { awk -F, -v n="$2" -v f="$3" 'NR > 1 && $1 == n { print $f }' "$1"; }
ms() { awk -v s="$1" 'BEGIN { printf "%.1f ms", s * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v max="$2" 'BEGIN { print (v < max) ? "met" : "NOT met" }'; }

lg=$(get "$work/list.csv" galley 2) ls=$(get "$work/list.csv" sqlite3 2)
lgm=$(get "$work/list.csv" galley 4) lsm=$(get "$work/list.csv" sqlite3 4)
dg=$(get "$work/diff.csv" galley 2) dt=$(get "$work/diff.csv" git 2)
dgm=$(get "$work/diff.csv" galley 4) dtm=$(get "$work/diff.csv" git 4)
ln=$(get "$work/nouser.csv" "list (no GALLEY_USER)" 2)
dn=$(get "$work/nouser.csv" "diff (no GALLEY_USER)" 2)

echo
echo "== summary (means; medians in brackets)"
printf '%-46s %s [%s]\n' "galley list --json" "$(ms "$lg")" "$(ms "$lgm")"
printf '%-46s %s [%s]\n' "sqlite3 SELECT name ... ORDER BY name" "$(ms "$ls")" "$(ms "$lsm")"
printf '%-46s %s×  [%s×]   target < 3×: %s; < 150 ms: %s\n' "ratio list / sqlite3" \
    "$(ratio "$lg" "$ls")" "$(ratio "$lgm" "$lsm")" "$(verdict "$(ratio "$lg" "$ls")" 3)" \
    "$(verdict "$lg" 0.150)"
printf '%-46s %s [%s]\n' "galley diff $long 1 2" "$(ms "$dg")" "$(ms "$dgm")"
printf '%-46s %s [%s]\n' "git diff --no-index A.md B.md" "$(ms "$dt")" "$(ms "$dtm")"
printf '%-46s %s×  [%s×]   target < 2×: %s\n' "ratio diff / git diff" \
    "$(ratio "$dg" "$dt")" "$(ratio "$dgm" "$dtm")" "$(verdict "$(ratio "$dg" "$dt")" 2)"
printf '%-46s %s (ratio to sqlite3 %s×)\n' "galley list --json without GALLEY_USER" "$(ms "$ln")" \
    "$(ratio "$ln" "$ls")"
printf '%-46s %s (ratio to git diff %s×)\n' "galley diff without GALLEY_USER" "$(ms "$dn")" \
    "$(ratio "$dn" "$dt")"
echo "(CSV files in $work)"
cd "$root"
