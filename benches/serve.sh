#!/usr/bin/env bash
# Load benchmark of the delivery server (issue 6): `GET /v1/prompts/{name}?env=production`,
# 64 connections, 10 s, on loopback, with wrk; in the same run, nginx serving the same JSON body
# as a static file, under the same load. Target: galley >= 50% of nginx's requests/s, p99 < 10 ms.
# Then (issue 12) the Langfuse GET of the same prompt (Basic auth) under the same load, target
# within 2x of the native GET; and the native GET again while a second wrk POSTs batches of
# observations to /v1/observations with an ingest key for the same duration, target p99 within
# 2x of the idle run.
# Usage: bash benches/serve.sh   (installs wrk and nginx with apt-get when missing)
#        DURATION=10s CONNECTIONS=64 THREADS=2 bash benches/serve.sh
#        INGEST_CONNECTIONS=4 INGEST_BATCH=50 bash benches/serve.sh   (the ingest load)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
INGEST_CONNECTIONS=${INGEST_CONNECTIONS:-4}
INGEST_BATCH=${INGEST_BATCH:-50}

# --- tools -----------------------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

echo "building the release binary..." >&2
cargo build --release --quiet --bin galley
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
galley="$target_dir/release/galley"

work="$target_dir/bench-data/serve"
rm -rf "$work"
mkdir -p "$work/www/v1/prompts/support" "$work/nginx"
# The demo makes ada its first admin; keys are created as her.
export GALLEY_CONFIG="$work/no-config.toml" GALLEY_USER=ada USER=ada NO_COLOR=1
db="$work/server.db"

# --- the server's workspace: the demo prompts; support/triage is in production ---------------
"$galley" --db "$db" demo >/dev/null
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; } # field NAME < one-line JSON
read_key=$("$galley" --db "$db" key create --name bench --scope read:production --json)
secret=$(field secret <<<"$read_key")
key_id=$(field id <<<"$read_key")
ingest_secret=$("$galley" --db "$db" key create --name ingest --scope ingest --json | field secret)
[ -n "$secret" ] && [ -n "$key_id" ] && [ -n "$ingest_secret" ] || { echo "no key secret" >&2; exit 1; }
basic=$(printf '%s:%s' "$key_id" "$secret" | base64 -w0)

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

"$galley" --db "$db" serve --addr 127.0.0.1:0 --log-file "$work/serve.log" >"$work/serve.out" &
pids+=($!)
for _ in $(seq 100); do grep -q listening "$work/serve.out" 2>/dev/null && break; sleep 0.05; done
base=$(sed -n 's/^listening on //p' "$work/serve.out")
[ -n "$base" ] || { echo "galley serve did not start" >&2; exit 1; }
path="/v1/prompts/support/triage?env=production"
curl -sf -H "Authorization: Bearer $secret" "$base$path" >"$work/www/v1/prompts/support/triage.json"
bytes=$(wc -c <"$work/www/v1/prompts/support/triage.json")
lf_path="/api/public/v2/prompts/support%2Ftriage?label=production"
lf_bytes=$(curl -sf -H "Authorization: Basic $basic" "$base$lf_path" | wc -c)
version=$(sed -n 's/.*"version":\([0-9]*\).*/\1/p' "$work/www/v1/prompts/support/triage.json")

# --- the ingest load: batches of observations with ids unique per run, thread and request ----
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
cat >"$work/ingest.lua" <<LUA
local counter = 0
function setup(thread)
    counter = counter + 1
    thread:set("tid", counter)
end
local prefix, n = "", 0
function init(args)
    prefix = (args[1] or "run") .. "-" .. tostring(tid)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $ingest_secret"
function request()
    n = n + 1
    local items = {}
    for i = 1, $INGEST_BATCH do
        items[i] = string.format('{"id":"%s-%d-%d","prompt":"support/triage","version":$version,'
            .. '"env":"production","timestamp":"$now","latency_ms":120.5,"input_tokens":40,'
            .. '"output_tokens":10,"cost_usd":0.001}', prefix, n, i)
    end
    return wrk.format(nil, nil, nil, '{"observations":[' .. table.concat(items, ",") .. ']}')
end
LUA

# --- nginx with the same body as a static file --------------------------------------------
nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    types { application/json json; }
    default_type application/json;
    server {
        listen 127.0.0.1:$nginx_port;
        root $work/www;
        location = /v1/prompts/support/triage { try_files /v1/prompts/support/triage.json =404; }
    }
}
CONF
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$nginx_port$path" >/dev/null && break; sleep 0.05; done
cmp -s <(curl -sf "http://127.0.0.1:$nginx_port$path") "$work/www/v1/prompts/support/triage.json" ||
    { echo "nginx does not serve the same body" >&2; exit 1; }

# --- load ------------------------------------------------------------------------------------
run() { # name url [header]
    local name=$1 url=$2
    shift 2
    echo "== $name: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency $url" >&2
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url" | tee "$work/$name.txt" >&2
}
# Warm both (caches, connections), then measure galley and nginx back to back.
wrk -t1 -c4 -d1s -H "Authorization: Bearer $secret" "$base$path" >/dev/null
wrk -t1 -c4 -d1s "http://127.0.0.1:$nginx_port$path" >/dev/null
run galley "$base$path" -H "Authorization: Bearer $secret"
run nginx "http://127.0.0.1:$nginx_port$path"
wrk -t1 -c4 -d1s -H "Authorization: Basic $basic" "$base$lf_path" >/dev/null
run langfuse "$base$lf_path" -H "Authorization: Basic $basic"
# The native GET again, while the ingest load runs beside it for the same duration.
echo "== ingest: wrk -t1 -c$INGEST_CONNECTIONS -d$DURATION -s ingest.lua $base/v1/observations" >&2
wrk -t1 -c"$INGEST_CONNECTIONS" -d"$DURATION" -s "$work/ingest.lua" "$base/v1/observations" \
    -- "r$(date +%s%N)" >"$work/ingest.txt" &
ingest_pid=$!
pids+=($ingest_pid)
sleep 0.2
run galley-ingest "$base$path" -H "Authorization: Bearer $secret"
wait "$ingest_pid"
cat "$work/ingest.txt" >&2
metrics=$(curl -sf "$base/metrics")

# --- summary ---------------------------------------------------------------------------------
figure() { # file what -> value in ms or req/s
    case $2 in
    rps) sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$1" ;;
    p50 | p99)
        local pct=${2#p}
        awk -v p="$pct%" '$1 == p { v=$2; if (v ~ /us$/) { sub(/us/,"",v); v=v/1000 }
            else if (v ~ /ms$/) { sub(/ms/,"",v) } else if (v ~ /s$/) { sub(/s/,"",v); v=v*1000 }
            printf "%.2f", v }' "$1"
        ;;
    esac
}
g_rps=$(figure "$work/galley.txt" rps) n_rps=$(figure "$work/nginx.txt" rps)
g50=$(figure "$work/galley.txt" p50) g99=$(figure "$work/galley.txt" p99)
n50=$(figure "$work/nginx.txt" p50) n99=$(figure "$work/nginx.txt" p99)
l_rps=$(figure "$work/langfuse.txt" rps) l50=$(figure "$work/langfuse.txt" p50) l99=$(figure "$work/langfuse.txt" p99)
i_rps=$(figure "$work/galley-ingest.txt" rps) i50=$(figure "$work/galley-ingest.txt" p50)
i99=$(figure "$work/galley-ingest.txt" p99)
batches=$(figure "$work/ingest.txt" rps)
non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$work/ingest.txt")
accepted=$(awk '/^galley_observations_accepted_total/ { s += $2 } END { print s + 0 }' <<<"$metrics")
generation=$(sed -n 's/^galley_delivery_cache_generation //p' <<<"$metrics")
misses=$(sed -n 's/^galley_delivery_cache_misses_total //p' <<<"$metrics")
ratio=$(python3 -c "print(f'{$g_rps / $n_rps * 100:.1f}')")
lf_ratio=$(python3 -c "print(f'{$g_rps / $l_rps:.2f}')")
p99_ratio=$(python3 -c "print(f'{$i99 / $g99:.2f}')")
obs_rate=$(python3 -c "print(f'{$batches * $INGEST_BATCH:.0f}')")
echo
echo "body: $bytes bytes of JSON (Langfuse: $lf_bytes); $CONNECTIONS connections, $THREADS wrk threads, $DURATION, loopback, $(nproc) cores"
printf '%-15s %12s %10s %10s\n' server "requests/s" "p50 ms" "p99 ms"
printf '%-15s %12s %10s %10s\n' galley "$g_rps" "$g50" "$g99"
printf '%-15s %12s %10s %10s\n' nginx "$n_rps" "$n50" "$n99"
printf '%-15s %12s %10s %10s\n' galley-langfuse "$l_rps" "$l50" "$l99"
printf '%-15s %12s %10s %10s\n' galley-ingest "$i_rps" "$i50" "$i99"
echo "galley / nginx throughput: $ratio% (target >= 50%); galley p99 $g99 ms (target < 10 ms)"
echo "native / Langfuse throughput: ${lf_ratio}x (target <= 2x)"
echo "ingest beside it: $batches batches/s of $INGEST_BATCH (~$obs_rate observations/s, $accepted accepted in all, ${non2xx:-0} non-2xx answers)"
echo "p99 under ingest / idle: ${p99_ratio}x (target <= 2x); cache generation $generation, misses $misses"
