#!/usr/bin/env bash
# Load benchmark of the delivery server (issue 6): `GET /v1/prompts/{name}?env=production`,
# 64 connections, 10 s, on loopback, with wrk; in the same run, nginx serving the same JSON body
# as a static file, under the same load. Target: galley >= 50% of nginx's requests/s, p99 < 10 ms.
# Usage: bash benches/serve.sh   (installs wrk and nginx with apt-get when missing)
#        DURATION=10s CONNECTIONS=64 THREADS=2 bash benches/serve.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}

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
secret=$("$galley" --db "$db" key create --name bench --scope read:production --json |
    sed -n 's/.*"secret":"\([^"]*\)".*/\1/p')
[ -n "$secret" ] || { echo "no key secret" >&2; exit 1; }

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
ratio=$(python3 -c "print(f'{$g_rps / $n_rps * 100:.1f}')")
echo
echo "body: $bytes bytes of JSON; $CONNECTIONS connections, $THREADS wrk threads, $DURATION, loopback, $(nproc) cores"
printf '%-8s %12s %10s %10s\n' server "requests/s" "p50 ms" "p99 ms"
printf '%-8s %12s %10s %10s\n' galley "$g_rps" "$g50" "$g99"
printf '%-8s %12s %10s %10s\n' nginx "$n_rps" "$n50" "$n99"
echo "galley / nginx throughput: $ratio% (target >= 50%); galley p99 $g99 ms (target < 10 ms)"
