#!/usr/bin/env bash
# Mutation check: do the end-to-end tests notice when a command lies?
#
# For each mutant (a cargo feature of the `browser` crate, forwarded by `hub`, that turns on
# one deliberate early return; see crates/browser/Cargo.toml), builds the hub with it (in
# the normal target dir, so only `browser` and `hub` are compiled again: every dependency
# is shared; the mutant binary is copied to target/mutants/bin and the normal hub is put
# back in target/debug afterwards, even when the check fails), runs a small
# set of end-to-end tests against that hub (OPENDEVBROWSER_HUB_BIN, read by
# tests/support/hub_process.rs), and requires at least one of them to fail. Prints
# "mutant -> killed by <tests> / SURVIVED" and exits non-zero if any mutant survives.
#
# The chosen tests must pass against the real hub first (else a "kill" proves nothing):
# they are run against target/debug/opendevbrowser-hub before the mutants, unless
# MUTATION_SKIP_BASELINE=1 (scripts/test.sh sets it: its end-to-end step just ran them).
#
# Needs what the end-to-end tests need (scripts/setup.sh, the extension built, and
# `cargo build -p hub -p cli`). MUTANT_TARGET_DIR picks where the mutants and logs go.
set -euo pipefail
cd "$(dirname "$0")/.."

mutant_target="${MUTANT_TARGET_DIR:-target/mutants}"
# A mutant build replaces target/debug/opendevbrowser-hub: put the real one back on exit.
restore_hub() { cargo build -q -p hub; }
trap restore_hub EXIT
per_test_timeout="${MUTATION_TEST_TIMEOUT:-300}"

# mutant feature | what it breaks
mutants=(
  "mutant-wait-always-succeeds|nav.wait answers success at once, whatever the page shows"
  "mutant-select-does-nothing|interact.select leaves the page alone and answers as if it had chosen"
)

# "test binary::test function": each mutant is run against all of them, so the table says
# which tests notice which mutant (the tests that only use a command on the way, like the
# tab agents' `nav.wait`, are there to show they do not). All start the hub through
# HubProcess (World or their own), never the CLI's built-in hub, which would not be the
# mutant; each takes 3 to 15 s on 2 cores.
tests=(
  "actions_truth_e2e::actions_tell_the_truth_in_the_users_chrome"
  "wait_e2e::nav_wait_succeeds_exactly_when_the_page_is_in_the_state_in_the_users_chrome"
  "wait_e2e::nav_wait_succeeds_exactly_when_the_page_is_in_the_state_in_managed_chromium"
  "actions_truth_e2e::actions_tell_the_truth_in_managed_chromium"
  "tab_agents_e2e::two_agents_drive_their_own_tabs_at_once_in_the_users_chrome"
)

# MUTATION_FIRST_KILL=1 (the test command sets it, to keep CI short): a mutant's tests stop
# at the first one that fails; the table then names that one test.
first_kill="${MUTATION_FIRST_KILL:-0}"

logs="$mutant_target/logs"
mkdir -p "$logs" "$mutant_target/bin"
started=$SECONDS

# Runs one test against hub binary $2; log in $3. Exit status: 0 passed, 1 failed,
# 2 the test was not found (a renamed test must not count as "passed").
run_test() {
  local spec="$1" hub_bin="$2" log="$3"
  local binary="${spec%%::*}" name="${spec#*::}"
  local status=0
  OPENDEVBROWSER_HUB_BIN="$hub_bin" timeout "$per_test_timeout" \
    cargo test -q -p system-tests --test "$binary" -- --exact "$name" --test-threads=1 >"$log" 2>&1 || status=$?
  if grep -q "test result: .* 0 passed; 0 failed" "$log"; then
    return 2
  fi
  [ "$status" -eq 0 ] && return 0
  grep -q "test result: FAILED\|timed out\|panicked" "$log" && return 1
  [ "$status" -eq 124 ] && return 1 # killed by `timeout`: the mutant made it hang
  return 2                          # the test binary did not build or run at all
}

# The first line of the test's panic message, for the table.
why() {
  grep -A1 -m1 "panicked at" "$1" | tail -n1 | cut -c1-110
}

if [ "${MUTATION_SKIP_BASELINE:-0}" != 1 ]; then
  echo "--- baseline: the chosen tests pass against the real hub"
  for spec in "${tests[@]}"; do
    log="$logs/baseline-${spec//::/-}.log"
    status=0
    run_test "$spec" "$PWD/target/debug/opendevbrowser-hub" "$log" || status=$?
    if [ "$status" -ne 0 ]; then
      echo "baseline: $spec does not pass against the real hub (see $log); a mutant it fails on proves nothing" >&2
      exit 1
    fi
    echo "    passes: $spec"
  done
fi

baselined=$SECONDS
for entry in "${mutants[@]}"; do
  feature="${entry%%|*}"
  echo "--- building the hub with $feature into $mutant_target"
  # Its warnings (the code after the early return is unreachable) go to the log.
  if ! cargo build -q -p hub --features "$feature" >"$logs/build-$feature.log" 2>&1; then
    cat "$logs/build-$feature.log" >&2
    exit 1
  fi
  cp target/debug/opendevbrowser-hub "$mutant_target/bin/opendevbrowser-hub-$feature"
done
restore_hub
built=$SECONDS

declare -A killers
survivors=0
for entry in "${mutants[@]}"; do
  feature="${entry%%|*}"
  hub_bin="$PWD/$mutant_target/bin/opendevbrowser-hub-$feature"
  killers[$feature]=""
  for spec in "${tests[@]}"; do
    log="$logs/$feature-${spec//::/-}.log"
    status=0
    run_test "$spec" "$hub_bin" "$log" || status=$?
    case "$status" in
      0) echo "    $feature: $spec passed (did not notice)" ;;
      1)
        echo "    $feature: $spec FAILED (killed it): $(why "$log")"
        killers[$feature]+="${killers[$feature]:+, }${spec#*::}"
        [ "$first_kill" = 1 ] && break
        ;;
      *)
        echo "mutation check: $spec could not be run against $feature (see $log)" >&2
        exit 1
        ;;
    esac
  done
done

echo
printf '%-29s | %-70s | %s\n' mutant breaks result
printf '%-29s | %-70s | %s\n' "$(printf -- '-%.0s' {1..29})" "$(printf -- '-%.0s' {1..70})" ------
for entry in "${mutants[@]}"; do
  feature="${entry%%|*}" breaks="${entry#*|}"
  if [ -n "${killers[$feature]}" ]; then
    result="killed by ${killers[$feature]}"
  else
    result="SURVIVED"
    survivors=$((survivors + 1))
  fi
  printf '%-29s | %-70s | %s\n' "$feature" "$breaks" "$result"
done
echo
echo "baseline $((baselined - started)) s, mutants built in $((built - baselined)) s, tested in $((SECONDS - built)) s; logs in $logs"
if [ "$survivors" -gt 0 ]; then
  echo "mutation check: $survivors mutant(s) SURVIVED: no chosen end-to-end test noticed the broken command" >&2
  exit 1
fi
echo "mutation check: every mutant was killed"
