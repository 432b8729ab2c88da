# wait_ready WHAT LOG CHECK…: runs the command CHECK… every 0.5 s until it succeeds (at most
# 120 s), failing at once when one of the processes in the array `pids` has exited. WHAT names
# the thing awaited, LOG the file whose tail explains a failure.
wait_ready() {
  local what=$1 log=$2
  shift 2
  for _ in $(seq 1 240); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    for pid in "${pids[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "$what: a process exited early; see $log" >&2
        tail -5 "$log" >&2 || true
        return 1
      fi
    done
    sleep 0.5
  done
  echo "$what: not ready after 120 s; see $log" >&2
  return 1
}
