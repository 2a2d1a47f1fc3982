#!/usr/bin/env bash
# The step of the GitHub Action in action.yml: kimi-vision alt on the documents a change touched (or
# all of them), in one of three modes, from the repository's root ($GITHUB_WORKSPACE):
#   check  the gate: one warning annotation per image without alt text, the report in the job
#          summary, and the step fails (exit 7) when there are any (KV_FAIL_ON_FINDINGS=false: never)
#   diff   alt texts proposed as a patch file (output `patch`), the report in the job summary; nothing
#          in the work tree changes
#   write  the documents fixed in place (a later step commits them or opens a pull request); the patch
#          of what changed as output `patch`
# Inputs come as environment variables (action.yml maps them; none is ever put on a command line):
# KV_MODE, KV_DOCUMENTS (files, quoted globs or folders, one per line or space-separated; default .),
# KV_BASE (a commit: only documents changed since its merge base with HEAD; empty: all), KV_ARGS
# (more options for alt, space-separated), KV_FAIL_ON_FINDINGS; the key as MOONSHOT_API_KEY.
# Outputs ($GITHUB_OUTPUT): documents, findings, report, patch, changed. The CLI is the action's own
# checkout ($GITHUB_ACTION_PATH), built with npm ci when it is not built yet.
set -euo pipefail

ACTION=${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}
WORKSPACE=${GITHUB_WORKSPACE:-$PWD}
TEMP=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
SUMMARY=${GITHUB_STEP_SUMMARY:-/dev/null}
OUTPUT=${GITHUB_OUTPUT:-/dev/null}
MODE=${KV_MODE:-check}
REPORT="$TEMP/kimi-vision-alt.md"
PATCH="$TEMP/kimi-vision-alt.patch"

case $MODE in check | diff | write) ;; *)
  echo "::error::kimi-vision alt: mode must be check, diff or write (it is \"$MODE\")"
  exit 2
  ;;
esac

if [[ ! -f $ACTION/dist/kimi-vision.cjs ]]; then
  echo "::group::install kimi-vision ($ACTION)"
  (cd "$ACTION" && npm ci --no-audit --no-fund)
  echo "::endgroup::"
fi
kv() { node "$ACTION/bin/kimi-vision.js" alt "$@"; }

cd "$WORKSPACE"
read -ra DOCS <<<"$(tr '\n' ' ' <<<"${KV_DOCUMENTS:-.}")"
read -ra EXTRA <<<"${KV_ARGS:-}"

# With a base: only the documents changed since the merge base (added, modified, renamed; not deleted).
if [[ -n ${KV_BASE:-} && ! ${KV_BASE} =~ ^0+$ ]]; then
  if ! git cat-file -e "$KV_BASE^{commit}" 2>/dev/null; then git fetch -q --depth=1 origin "$KV_BASE" 2>/dev/null || true; fi
  if git merge-base "$KV_BASE" HEAD >/dev/null 2>&1; then
    DOCS_GIVEN=("${DOCS[@]}")
    DOCS=()
    while IFS= read -r -d '' f; do
      [[ ${f,,} =~ \.(md|markdown|mdx|html|htm)$ ]] && DOCS+=("$f")
    done < <(git diff --name-only -z --diff-filter=d "$KV_BASE...HEAD" -- "${DOCS_GIVEN[@]}")
    if [[ ${#DOCS[@]} -eq 0 ]]; then
      printf '## Alt text\n\nNo document changed since %s.\n' "${KV_BASE:0:12}" >>"$SUMMARY"
      printf 'documents=0\nfindings=0\nchanged=0\n' >>"$OUTPUT"
      exit 0
    fi
  else
    echo "::warning::kimi-vision alt: $KV_BASE is not in this clone (check out with fetch-depth: 0); checking every document"
  fi
fi

# --check is local and fast: it gives the count and the annotations in every mode.
set +e
kv --check -q "${EXTRA[@]}" "${DOCS[@]}" >"$TEMP/kimi-vision-alt.check"
rc=$?
set -e
[[ $rc -eq 0 || $rc -eq 7 ]] || exit "$rc"
findings=0
while IFS= read -r line; do
  findings=$((findings + 1))
  if [[ $line =~ ^(.+):([0-9]+):([0-9]+):\ (.*)$ ]]; then
    file=${BASH_REMATCH[1]//%/%25}
    file=${file//:/%3A}
    file=${file//,/%2C}
    message=${BASH_REMATCH[4]//%/%25}
    [[ $MODE == check ]] && echo "::warning file=$file,line=${BASH_REMATCH[2]},col=${BASH_REMATCH[3]}::$message"
  fi
done <"$TEMP/kimi-vision-alt.check"
printf 'documents=%s\nfindings=%s\nreport=%s\n' "${#DOCS[@]}" "$findings" "$REPORT" >>"$OUTPUT"

status=0
case $MODE in
  check)
    kv --check -q --format markdown "${EXTRA[@]}" "${DOCS[@]}" >"$REPORT" || true
    cat "$REPORT" >>"$SUMMARY"
    if [[ $rc -eq 7 && ${KV_FAIL_ON_FINDINGS:-true} != false ]]; then
      echo "::error::$findings images without alt text; run kimi-vision alt --write on them, or use this action's diff mode for a patch"
      status=7
    fi
    ;;
  diff)
    # Captioned once: the report's run fills the cache, the patch's run takes every answer from it.
    export KIMI_VISION_CACHE=1 KIMI_VISION_CACHE_DIR=${KIMI_VISION_CACHE_DIR:-$TEMP/kimi-vision-cache}
    kv --format markdown "${EXTRA[@]}" "${DOCS[@]}" >"$REPORT" || status=$?
    kv -q "${EXTRA[@]}" "${DOCS[@]}" >"$PATCH" || true
    cat "$REPORT" >>"$SUMMARY"
    printf 'patch=%s\n' "$PATCH" >>"$OUTPUT"
    ;;
  write)
    kv --write --format markdown "${EXTRA[@]}" "${DOCS[@]}" >"$REPORT" || status=$?
    cat "$REPORT" >>"$SUMMARY"
    git diff -- "${DOCS[@]}" >"$PATCH"
    printf 'patch=%s\nchanged=%s\n' "$PATCH" "$(git diff --name-only -- "${DOCS[@]}" | wc -l | tr -d ' ')" >>"$OUTPUT"
    ;;
esac
exit "$status"
