#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# format-icinga2.sh: a real Icinga 2 (Debian icinga2-bin, icinga2-common)
# runs probe-agent --format nagios as a CheckCommand; its PerfdataWriter
# gives back state, output and performance data of an ok, a warning, a
# critical, an unknown and a configuration error (3 with the message).
# Runs once (not in the sanitizer pass); without icinga2 it skips, with
# CI=true it fails.
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/monitoring.sh"
plain_pass_only "run once"
if ! command -v icinga2 >/dev/null; then
  [ "${CI:-}" = true ] && fail "icinga2 is missing (Debian icinga2-bin) and CI=true"
  echo "SKIP: icinga2 is missing" >&2; exit 77
fi
D=$TEST_TMP/icinga
mkdir -p "$D/perf" "$D/run" "$D/data" "$D/cache" "$D/log" "$D/spool/perfdata" "$D/spool/tmp"
q() { printf '"%s"' "$1"; } # an Icinga string (paths and words without quotes)
args() { local a out=""; for a in "$@"; do out+="$(q "$a"), "; done; printf '%s' "${out%, }"; }
base=("$PROBE_AGENT" --plugin-dir "$PROBE_TEST_PLUGIN_DIR" --state-dir "$TEST_TMP/state" --format nagios -t 20)
{
  cat <<C
include <itl>
object CheckerComponent "checker" { }
object PerfdataWriter "perf" {
  host_perfdata_path = "$D/perf/host"
  service_perfdata_path = "$D/perf/service"
  service_format_template = "SVC::\$service.name\$\tSTATE::\$service.state_id\$\tOUT::\$service.output\$\tPERF::\$service.perfdata\$"
  rotation_interval = 1s
}
object CheckCommand "alive" { command = [ "/bin/true" ] }
object Host "probe-host" { check_command = "alive"; check_interval = 1s; max_check_attempts = 1 }
C
  svc() { # NAME ARGS...
    local name=$1; shift
    echo "object CheckCommand \"probe-$name\" { command = [ $(args "${base[@]}" "$@") ] }"
    echo "object Service \"$name\" { host_name = \"probe-host\"; check_command = \"probe-$name\"; check_interval = 1s; retry_interval = 1s; max_check_attempts = 1 }"
  }
  for s in "${monitor_services[@]}"; do read -ra w <<<"$s"; svc "${w[@]}"; done
} >"$D/icinga2.conf"
defs=(-DRunAsUser="$(id -un)" -DRunAsGroup="$(id -gn)" -DDataDir="$D/data" -DLogDir="$D/log"
      -DCacheDir="$D/cache" -DSpoolDir="$D/spool" -DInitRunDir="$D/run" -DConfigDir="$D")
icinga2 daemon -C -c "$D/icinga2.conf" "${defs[@]}" >"$D/validate.txt" 2>&1 ||
  { cat "$D/validate.txt" >&2; fail "icinga2 rejects the test configuration"; }
icinga2 daemon -c "$D/icinga2.conf" "${defs[@]}" >"$D/out.txt" 2>&1 </dev/null &
# icinga2 forks an umbrella and workers: stop every process of this
# configuration (its path is unique to this test) by its pid
stop_icinga() { local p; for p in $(pgrep -f -- "-c $D/icinga2.conf" || true); do kill "$p" 2>/dev/null || true; done; }
trap 'stop_icinga; sleep 0.5; for p in $(pgrep -f -- "-c $D/icinga2.conf" || true); do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$TEST_TMP"' EXIT

# last SERVICE FIELD: the field of the service's newest perfdata record
last() { cat "$D"/perf/service* 2>/dev/null | awk -F'\t' -v s="SVC::$1" -v f="$2::" '
  $1 == s { for (i = 2; i <= NF; i++) if (index($i, f) == 1) v = substr($i, length(f) + 1) } END { print v }'; }
all() { for s in ok warning critical unknown config; do [ -n "$(last $s STATE)" ] || return 1; done; }
for _ in $(seq 60); do all && break; sleep 0.5; done
all || { tail -20 "$D/out.txt" >&2; fail "Icinga 2 did not check every service within 30 s"; }

svc_state() { last "$1" STATE; }
svc_output() { last "$1" OUT; }
svc_perf() { last "$1" PERF; }
monitor_expect "Icinga" "'\\?" ' ?$'
echo ok
