#!/usr/bin/env bash
# The workbench's speed and memory targets (issue 3), on the cached 10,000-prompt workspace:
#   process start to the first full frame < 100 ms; a keystroke in the editor to the redrawn
#   frame < 16 ms; computing and drawing the diff of two 2,000-line versions < 30 ms; memory
#   < 100 MB resident.
# 1. In-process (divan, `benches/tui.rs`): App::update + view::draw on a 160×48 TestBackend.
# 2. The whole process in a pseudo-terminal (`benches/tui_process.rs`, portable-pty): spawn to
#    each start milestone, keystroke to frame, `d` to the diff frame, VmRSS/VmHWM.
# 3. A cross-check of the start through tmux: launch to the list in `tmux capture-pane`, polled.
# Usage: bash benches/tui.sh      (from anywhere; about 2 minutes once built; installs tmux if
#        missing)   RUNS=20 KEYS=60 DIFFS=10 BROWSE=300 TMUX_RUNS=10 override the counts; NO_DIVAN=1 skips 1.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUNS=${RUNS:-20}
KEYS=${KEYS:-60}
DIFFS=${DIFFS:-10}
BROWSE=${BROWSE:-300}
TMUX_RUNS=${TMUX_RUNS:-10}

if ! command -v tmux >/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: tmux" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq tmux >/dev/null
fi

echo "building the release binary and the benchmarks..." >&2
cargo build --release --quiet --bin galley
cargo bench --no-run --quiet --bench tui --bench tui_process --bench gen_workspace 2>/dev/null
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
galley="$target_dir/release/galley"
db=$(cargo bench --quiet --bench gen_workspace | tail -n 1)
[ -f "$db" ] || { echo "no workspace at '$db'" >&2; exit 1; }
work="$target_dir/bench-data/tui"
mkdir -p "$work"

if [ -z "${NO_DIVAN:-}" ]; then
    echo
    echo "== 1. in-process (cargo bench --bench tui)"
    cargo bench --quiet --bench tui
fi

echo
echo "== 2. the whole process in a pty (cargo bench --bench tui_process), on a fresh copy"
# The harness copies the cached workspace to $work/ws.db itself (the session types and saves).
cargo bench --quiet --bench tui_process -- --galley "$galley" --runs "$RUNS" --keys "$KEYS" --diffs "$DIFFS" --browse "$BROWSE"

echo
echo "== 3. cross-check through tmux: launch to the list on screen ($TMUX_RUNS runs, polled)"
sock=galley-bench-$$
copy="$work/ws.db"
tmux_cmd() { tmux -L "$sock" "$@"; }
cleanup() { tmux_cmd kill-server 2>/dev/null || true; }
trap cleanup EXIT
# A server with an idle session first, so each run pays for the window and galley, not for
# starting tmux itself.
tmux_cmd new-session -d -s idle -x 160 -y 48 "sleep 600"
times=()
for run in $(seq "$TMUX_RUNS"); do
    start=$(date +%s%N)
    tmux_cmd new-window -d -t idle -n g"$run" \
        "env GALLEY_DB=$copy GALLEY_USER=bench GALLEY_CONFIG=$work/no-config.toml TERM=xterm-256color $galley"
    seen=""
    for _ in $(seq 2000); do # at most ~10 s
        if tmux_cmd capture-pane -p -t idle:g"$run" 2>/dev/null | grep -q "classifier-00017"; then
            seen=$(date +%s%N)
            break
        fi
    done
    [ -n "$seen" ] || { echo "run $run: the list never showed" >&2; exit 1; }
    times+=($(((seen - start) / 1000)))
    tmux_cmd send-keys -t idle:g"$run" q
    sleep 0.2
    tmux_cmd kill-window -t idle:g"$run" 2>/dev/null || true
done
printf '%s\n' "${times[@]}" | sort -n | awk '
    { v[NR] = $1 / 1000 }
    END { printf "launch to list in capture-pane: median %.1f ms, min %.1f, max %.1f (n=%d; includes tmux spawning the pane and the polling)\n", v[int((NR + 1) / 2)], v[1], v[NR], NR }'
