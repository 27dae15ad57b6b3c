#!/usr/bin/env bash
# The Prometheus rules and example config: promtool check rules, promtool test rules
# (config/prometheus/tests/*.yml), promtool check config of the example prometheus.yml,
# then that the tests cover every alert (firing and not firing) and every recording rule
# and that docs/runbook.md documents every alert. No root needed. Exit non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

PROMTOOL=${PROMTOOL:-$(command -v promtool || echo /usr/bin/promtool)}
if [[ ! -x "$PROMTOOL" ]]; then
  echo "promtool not found: install Debian's prometheus package (scripts/install-deps.sh --test)" >&2
  exit 1
fi

rules=(config/prometheus/recording_rules.yml config/prometheus/alerting_rules.yml)
tests=(config/prometheus/tests/*.yml)

echo "== promtool check rules"
"$PROMTOOL" check rules "${rules[@]}"
echo "== promtool test rules"
"$PROMTOOL" test rules "${tests[@]}"
echo "== promtool check config (example prometheus.yml)"
"$PROMTOOL" check config config/prometheus/prometheus.yml
echo "== coverage of the tests and the runbook"
python3 tests/tools/check_rules_coverage.py
