#!/bin/bash
# Peak memory of read + enrich + score as events grow with entities fixed, and as
# entities grow with events roughly fixed. Sign-in logs only, 4 sign-ins per user-day.
# Usage: bench/memory.sh [work folder]
# Prints one JSON line per configuration; run pinned with taskset -c 0 for CPU rates.
set -euo pipefail
work=${1:-/tmp/cwbench-memory}
run() {
  local users=$1 days=$2
  local folder="$work/u$users-d$days"
  uv run python bench/generate.py --out "$folder" --users "$users" --days "$days" \
    --sources signin --sign-ins 4 > /dev/null
  local result
  result=$(uv run python bench/measure.py score "$folder/signins.jsonl")
  echo "{\"users\":$users,\"days\":$days,\"result\":$result}"
  rm -rf "$folder"
}
echo "# events grow, entities fixed"
for days in 5 10 20 40; do run 1000 "$days"; done
echo "# entities grow, events about fixed"
for pair in "500 40" "2000 10" "4000 5" "8000 3"; do run $pair; done
