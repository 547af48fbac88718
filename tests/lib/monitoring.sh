# SPDX-License-Identifier: Apache-2.0
# tests/lib/monitoring.sh: what format-nagios4.sh and format-icinga2.sh
# both ask of a real monitoring system running `probe-agent --format
# nagios` as a check command: the same five services, and the same answers
# read back. Sourced after tests/lib/env.sh.

# The services: NAME, then the agent's arguments for it (an ok, a warning,
# a critical with a crash beside it, an unknown, and a configuration error).
monitor_services=(
  "ok -p echo -s echo.status=ok -s echo.message=fine"
  "warning -p echo -s echo.status=warning -s echo.message=meh"
  "critical -p echo -p segv -s echo.status=critical -s echo.message=bad"
  "unknown -p segv"
  "config -c $TEST_TMP/missing.json -p echo"
)

# monitor_expect SYSTEM [Q [END]]: fails unless SYSTEM (the name in messages)
# saw the five services as it should. Q is the pattern of the quote around
# a perfdata label and END that of the output's end (Nagios keeps the quote
# and the output as written: "'" and "$"; Icinga's writer may drop the
# quote and leaves a space where the perfdata was cut off). The caller defines svc_state SERVICE,
# svc_output SERVICE (the first line of output) and svc_perf SERVICE.
monitor_expect() {
  local sys=$1 q=${2:-"'"} e=${3:-'$'}
  expect() { # SERVICE STATE OUTPUT-REGEX
    local st out
    st=$(svc_state "$1"); out=$(svc_output "$1")
    [ "$st" = "$2" ] || fail "$1: $sys state $st ($out), expected $2"
    grep -Eq "$3" <<<"$out" || fail "$1: $sys output '$out' does not match $3"
  }
  expect ok 0 '^ECHO OK: echo.line echo-target: fine'"$e"
  expect warning 1 '^ECHO WARNING: echo.line echo-target: meh'"$e"
  expect critical 2 '^ECHO CRITICAL: echo.line echo-target: bad \(2 results: 1 critical, 1 unknown'
  expect unknown 3 '^SEGV UNKNOWN: agent.run segv: plugin segv crashed'
  expect config 3 '^PROBE-AGENT UNKNOWN: .*missing.json.*\(exit status 78\)'"$e"
  local perf
  perf=$(svc_perf ok)
  grep -q "${q}echo.line.index${q}=0;10;20" <<<"$perf" || fail "ok: $sys perfdata '$perf' lacks the index with its thresholds"
  grep -q "${q}echo.line.wait_seconds${q}=0s;30:;5:" <<<"$perf" || fail "ok: $sys perfdata '$perf' lacks wait_seconds"
}
