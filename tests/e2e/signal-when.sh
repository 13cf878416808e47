#!/usr/bin/env bash
# signal-when.sh N SIGNAL...: for the signal cases (cases/signal-*.case),
# started in the background from a case's setup. Waits (20 s at most) until
# N processes run whose command line holds "$PWD/sleepy" (the case's steps,
# unique to its folder), then sends each SIGNAL, 0.3 s apart, to the parity
# they run under. The marker is built here, not passed, so that this
# script's own command line does not match it.
set -u
n=$1
shift
marker="$PWD/sleepy"
for _ in $(seq 400); do
	pids=$(pgrep -f -- "$marker")
	[ "$(wc -w <<<"$pids")" -ge "$n" ] && break
	sleep 0.05
done
# the nearest parity above the first of them (a step's shell may be between)
pid=$(head -n 1 <<<"$pids")
while [ -n "$pid" ] && [ "$pid" -gt 1 ] && [ "$(ps -o comm= -p "$pid")" != parity ]; do
	pid=$(ps -o ppid= -p "$pid" | tr -d ' ')
done
[ -n "$pid" ] && [ "$pid" -gt 1 ] || exit 1
first=1
for sig; do
	[ "$first" = 1 ] || sleep 0.3
	first=0
	kill -s "$sig" "$pid"
done
