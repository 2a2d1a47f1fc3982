#!/usr/bin/env bash
# Every install route a user has, from a fresh clone of this repository's HEAD, on the Node first on
# PATH (.ci/run calls it once per supported Node). After each route, `kimi-vision --version` must print
# the package's version and `kimi-vision describe --dry-run <fixture>` must exit 0 with the estimate
# on stdout. Everything happens under one temporary folder (HOME, XDG dirs, npm prefixes, logs), so
# nothing touches the machine but npm's download cache, which is shared to keep this fast.
#   (a) npm ci in a clone (and no install-scripts warning from it)
#   (b) npm pack, then npm install -g <tarball>; its node_modules holds only sharp (what dist/ does
#       not bundle), and dist/ requires nothing else from node_modules
#   (c) npm install -g . in a fresh clone, before any npm ci
#   (d) npm install -g git+file://<clone>: npm 11 cannot (see scripts/prepare.mjs); the check asserts
#       it fails with the project's explanation and leaves nothing installed
#   (e) npx ./<tarball>
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
NODE_VERSION=$(node --version)
NPM_VERSION=$(npm --version)
# Read before HOME moves: the user's npm cache (reused) and registry.
CACHE=$(npm config get cache)
REGISTRY=$(npm config get registry)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kv-install.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/home" "$WORK/logs"
# Settings an outer npm (npm run, npm install -g) may have exported would change what each route does.
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\([Nn][Pp][Mm]_[Cc][Oo][Nn][Ff][Ii][Gg]_[^=]*\)=.*/\1/p')
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_CACHE_HOME="$WORK/home/.cache" XDG_STATE_HOME="$WORK/home/.local/state"
export npm_config_cache="$CACHE" npm_config_registry="$REGISTRY" npm_config_logs_dir="$WORK/npm-logs"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
unset MOONSHOT_API_KEY MOONSHOT_BASE_URL

VERSION=$(node -p "require('$REPO/package.json').version")
BUNDLED=(commander undici chalk ora fast-glob ajv eventsource-parser)
BASE_PATH=$PATH

fail() {
  echo "check-install: FAILED on Node $NODE_VERSION (npm $NPM_VERSION): $*" >&2
  exit 1
}

# run <log name> <command...>: runs it with its output in a log, shown when it fails.
run() {
  local name=$1 log="$WORK/logs/$1.log"
  shift
  if ! "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    fail "$name: $* failed (its output above)"
  fi
}

# check_cli <route> <command...>: the installed CLI answers --version and a dry run (run from
# CLI_CWD, by default a folder outside every clone).
check_cli() {
  local route=$1 out cwd=${CLI_CWD:-$WORK}
  shift
  out=$(cd "$cwd" && "$@" --version 2>&1) || fail "route $route: $* --version exited $?: $out"
  [[ $out == "$VERSION" ]] || fail "route $route: --version printed '$out', expected $VERSION"
  out=$(cd "$cwd" && "$@" describe --dry-run "$WORK/src/fixtures/small.png" 2>"$WORK/logs/$route-dry-run.err") ||
    fail "route $route: describe --dry-run exited $?: $(cat "$WORK/logs/$route-dry-run.err")"
  grep -Eq '^1 image · ~[0-9,]+ input tokens .* · est\. ' <<<"$out" || fail "route $route: no estimate on stdout: $out"
}

# route <name> <description>: prints the route and how long the previous one took.
ROUTE_START=0
route() {
  ROUTE_START=$(date +%s%N)
  printf '  (%s) %-58s' "$1" "$2"
}
done_route() {
  printf '%5.1f s %s\n' "$(( ($(date +%s%N) - ROUTE_START) / 1000000 ))e-3" "${1:-ok}"
}

CHECK_START=$SECONDS
echo "check-install: Node $NODE_VERSION, npm $NPM_VERSION, HEAD $(git -C "$REPO" rev-parse --short HEAD) of $REPO"
[[ -z $(git -C "$REPO" status --porcelain --untracked-files=no) ]] || echo "  (uncommitted changes are not part of the check: it clones HEAD)"

route a 'npm ci in a clone'
git clone -q "$REPO" "$WORK/src"
run a-npm-ci npm ci --prefix "$WORK/src"
! grep -q 'warn install-scripts' "$WORK/logs/a-npm-ci.log" || fail "route a: npm ci warns about install scripts: $(grep 'install-scripts' "$WORK/logs/a-npm-ci.log")"
check_cli a node "$WORK/src/bin/kimi-vision.js"
CLI_CWD="$WORK/src" check_cli a-npx npx kimi-vision # the project's own bin
done_route

route b 'npm pack, then npm install -g <tarball>'
run b-pack npm pack --prefix "$WORK/src" --pack-destination "$WORK" "$WORK/src"
TARBALL="$WORK/kimi-vision-$VERSION.tgz"
[[ -f $TARBALL ]] || fail "route b: npm pack made no $TARBALL"
export npm_config_prefix="$WORK/prefix-b"
run b-install npm install -g "$TARBALL"
INSTALLED="$npm_config_prefix/lib/node_modules/kimi-vision"
for name in "${BUNDLED[@]}"; do
  [[ ! -e $INSTALLED/node_modules/$name ]] || fail "route b: $name is installed again, though dist/ bundles it"
done
[[ -e $INSTALLED/node_modules/sharp ]] || fail "route b: the optional sharp was not installed"
# dist/ needs nothing from node_modules but sharp: every bundle loads, and no require names a package.
(cd "$WORK" && node -e '
  const fs = require("node:fs"), path = require("node:path"), { isBuiltin } = require("node:module");
  const dist = path.join(process.argv[1], "dist");
  const files = [...fs.readdirSync(dist).filter((f) => f.endsWith(".cjs")), ...fs.readdirSync(path.join(dist, "vendor")).map((f) => `vendor/${f}`)];
  for (const file of files) {
    const source = fs.readFileSync(path.join(dist, file), "utf8");
    for (const [, , id] of source.matchAll(/require\((["\x27])([^"\x27]+)\1\)/g)) {
      // ajv names its runtime helpers in strings for the standalone code it can emit; a compiled
      // validator (all the CLI makes) gets them as values, so they are never required.
      const standalone = file === "vendor/ajv.cjs" && id.startsWith("ajv/dist/runtime/");
      if (!isBuiltin(id) && !id.startsWith("./") && id !== "sharp" && !standalone) throw new Error(`dist/${file} requires ${id}`);
    }
    if (file.startsWith("vendor/")) require(path.join(dist, file));
  }' "$INSTALLED") >"$WORK/logs/b-dist.log" 2>&1 || fail "route b: $(grep -m1 Error "$WORK/logs/b-dist.log")"
PATH="$npm_config_prefix/bin:$BASE_PATH"
[[ $(command -v kimi-vision) == "$npm_config_prefix/bin/kimi-vision" ]] || fail "route b: kimi-vision is not on PATH from the prefix"
check_cli b kimi-vision
done_route "(node_modules: $(ls "$INSTALLED/node_modules" | tr '\n' ' '))"

route c 'npm install -g . in a fresh clone, before any npm ci'
git clone -q "$REPO" "$WORK/clone-c"
export npm_config_prefix="$WORK/prefix-c"
(cd "$WORK/clone-c" && run c-install npm install -g .)
PATH="$npm_config_prefix/bin:$BASE_PATH"
check_cli c kimi-vision
done_route

route d 'npm install -g git+file://<clone>'
export npm_config_prefix="$WORK/prefix-d"
PATH="$npm_config_prefix/bin:$BASE_PATH"
if (( ${NPM_VERSION%%.*} >= 12 )); then
  # npm 12 prepares a git clone as a project (and fetches git only when allowed).
  run d-install npm install -g --allow-git=root "git+file://$WORK/src"
  check_cli d kimi-vision
  done_route
else
  # npm 11 prepares the clone in global mode: prepare.mjs stops it with the routes that work (b, c).
  if npm install -g "git+file://$WORK/src" >"$WORK/logs/d-install.log" 2>&1; then
    fail "route d: npm $NPM_VERSION installed from git; the npm 11 case in scripts/prepare.mjs and the README are out of date"
  fi
  grep -q 'cannot install this package globally from git' "$WORK/logs/d-install.log" ||
    { tail -n 40 "$WORK/logs/d-install.log" >&2; fail "route d: failed, but not with the project's explanation"; }
  [[ ! -e $npm_config_prefix/bin/kimi-vision && ! -e $npm_config_prefix/lib/node_modules/kimi-vision ]] ||
    fail "route d: the failed install left kimi-vision in the prefix"
  done_route "(refused as expected with npm $NPM_VERSION: npm/cli#8440; routes b and c are the alternatives)"
fi

route e 'npx ./<tarball>'
unset npm_config_prefix
PATH=$BASE_PATH
# From the tarball's folder, as ./name.tgz: npx runs an absolute path as a command, not a package.
CLI_CWD="$WORK" check_cli e npx --yes "./${TARBALL##*/}"
done_route

echo "check-install: every route passed on Node $NODE_VERSION in $(( SECONDS - CHECK_START )) s"
