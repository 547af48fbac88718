#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# format-nagios4.sh: a real Nagios 4 (Debian nagios4-core) runs probe-agent
# --format nagios as a check command, as an operator would, and its
# status.dat shows the state, output and performance data of an ok, a
# warning, a critical, an unknown and a configuration error (state 3 with
# the message, not "return code out of bounds"). Runs once (not in the
# sanitizer pass); without nagios4 it skips, with CI=true it fails.
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/monitoring.sh"
plain_pass_only "run once"
nagios=$(command -v nagios4 || command -v nagios || true)
if [ -z "$nagios" ]; then
  [ "${CI:-}" = true ] && fail "nagios4 is missing (Debian nagios4-core) and CI=true"
  echo "SKIP: nagios4 is missing" >&2; exit 77
fi
D=$TEST_TMP/nagios
mkdir -p "$D/checkresults"
user=$(id -un); group=$(id -gn)
cat >"$D/nagios.cfg" <<C
log_file=$D/nagios.log
cfg_file=$D/objects.cfg
status_file=$D/status.dat
status_update_interval=1
check_result_path=$D/checkresults
lock_file=$D/nagios.lock
temp_file=$D/nagios.tmp
temp_path=$D
command_file=$D/nagios.cmd
check_external_commands=0
nagios_user=$user
nagios_group=$group
interval_length=1
retain_state_information=0
state_retention_file=$D/retention.dat
enable_notifications=0
max_service_check_spread=1
max_host_check_spread=1
service_inter_check_delay_method=n
host_inter_check_delay_method=n
check_result_reaper_frequency=1
use_syslog=0
enable_environment_macros=0
C
agent_cmd="$PROBE_AGENT --plugin-dir $PROBE_TEST_PLUGIN_DIR --state-dir $TEST_TMP/state --format nagios -t 20"
{
  cat <<C
define timeperiod { timeperiod_name always
  alias always
  sunday 00:00-24:00
  monday 00:00-24:00
  tuesday 00:00-24:00
  wednesday 00:00-24:00
  thursday 00:00-24:00
  friday 00:00-24:00
  saturday 00:00-24:00 }
define contact { contact_name nobody
  host_notifications_enabled 0
  service_notifications_enabled 0
  host_notification_period always
  service_notification_period always
  host_notification_options n
  service_notification_options n
  host_notification_commands probe
  service_notification_commands probe }
define command { command_name probe
  command_line $agent_cmd \$ARG1\$ }
define command { command_name alive
  command_line /bin/true }
define host { host_name probe-host
  address 127.0.0.1
  check_command alive
  max_check_attempts 1
  check_period always
  contacts nobody
  notification_period always }
C
  for s in "${monitor_services[@]}"; do
    cat <<C
define service { host_name probe-host
  service_description ${s%% *}
  check_command probe!${s#* }
  max_check_attempts 1
  check_interval 1
  retry_interval 1
  check_period always
  contacts nobody
  notification_period always }
C
  done
} | sed 's/^define \([a-z]*\) { /define \1 {\n  /; s/ }$/\n}/' >"$D/objects.cfg"
"$nagios" -v "$D/nagios.cfg" >"$D/verify.txt" 2>&1 || { cat "$D/verify.txt" >&2; fail "nagios -v rejects the test configuration"; }
"$nagios" "$D/nagios.cfg" >"$D/stdout.txt" 2>&1 &
npid=$!
trap 'kill $npid 2>/dev/null; wait $npid 2>/dev/null; rm -rf "$TEST_TMP"' EXIT

# field SERVICE KEY: a value of the servicestatus block of SERVICE
field() {
  awk -v svc="$1" -v key="$2" '
    /^servicestatus \{/ { inblk = 1; s = ""; delete f; next }
    inblk && /^\t\}/ { if (s == svc) print f[key]; inblk = 0; next }
    inblk { line = $0; sub(/^\t/, "", line); k = line; sub(/=.*/, "", k); v = line; sub(/^[^=]*=/, "", v)
            f[k] = v; if (k == "service_description") s = v }' "$D/status.dat"
}
checked() { for s in ok warning critical unknown config; do [ "$(field $s has_been_checked)" = 1 ] || return 1; done; }
for _ in $(seq 60); do [ -f "$D/status.dat" ] && checked && break; sleep 0.5; done
checked || { tail -20 "$D/nagios.log" >&2; fail "Nagios did not check every service within 30 s"; }

svc_state() { field "$1" current_state; }
svc_output() { field "$1" plugin_output; }
svc_perf() { field "$1" performance_data; }
monitor_expect "Nagios"
# the long output (the further result) reaches Nagios too
field critical long_plugin_output | grep -q 'UNKNOWN: agent.run segv' || fail "critical: no long output"
grep -q 'out of bounds' "$D/nagios.log" && fail "Nagios logged a return code out of bounds"
echo ok
