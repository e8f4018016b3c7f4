# Helpers for the azd hooks in this folder (sourced, not run). infra/hooks/lib.ps1 is the same for Windows.
#
# Every Azure call names the subscription azd deploys to: `--subscription` on `az` commands that take it, the
# subscription id written into the URL for `az rest` (which has no --subscription). The Azure CLI's default
# subscription (`az account set`) may be another one. Every Azure call is retried a bounded number of times:
# a role assigned minutes ago takes a while to apply, and a Flex Consumption app answers 404 or 5xx for a while
# after a deployment. JSON is read with node, which azd already needs to build this TypeScript service.
# shellcheck shell=sh
# The variables set here are read by the hooks that source this file:
# shellcheck disable=SC2034

sub="${AZURE_SUBSCRIPTION_ID:?AZURE_SUBSCRIPTION_ID is not set: run this hook through azd (azd provision / azd deploy)}"
rg="${AZURE_RESOURCE_GROUP:?run azd provision first}"
app="${AZURE_FUNCTION_NAME:?run azd provision first}"
vault="${AZURE_KEY_VAULT_NAME:?run azd provision first}"
# Attempts per Azure call, and seconds between them (tests set 0).
attempts="${GRAPH_NOTIFY_HOOK_ATTEMPTS:-20}"
delay="${GRAPH_NOTIFY_HOOK_RETRY_SECONDS:-15}"
# Microsoft.Web API version for the management calls, the one Microsoft's Key Vault references page uses.
web_api="2022-03-01"
site="https://management.azure.com/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Web/sites/${app}"

# retry COMMAND...: runs COMMAND until it succeeds, at most $attempts times, $delay seconds apart.
retry() {
  tries=1
  until "$@"; do
    if [ "$tries" -ge "$attempts" ]; then
      echo "Giving up after $tries tries: $*" >&2
      return 1
    fi
    echo "Azure call failed (try $tries of $attempts; role assignment or deployment still settling?); retrying in ${delay} s" >&2
    tries=$((tries + 1))
    sleep "$delay"
  done
}

# arm METHOD URL_SUFFIX OUT [BODY_FILE]: one management call on the function app, its JSON answer in OUT.
arm() {
  if [ -n "${4:-}" ]; then
    az rest --method "$1" --uri "${site}$2" --body "@$4" --output json > "$3"
  else
    az rest --method "$1" --uri "${site}$2" --output json > "$3"
  fi
}

# json FILE EXPRESSION: prints EXPRESSION (JavaScript over the parsed JSON `v`), one line per array item.
# Fails (exit 3) when FILE holds no JSON or EXPRESSION throws, and (exit 1) when it yields undefined, so a
# null or broken answer never reads as "nothing there".
json() {
  node -e '
    const fs = require("node:fs");
    let out;
    try {
      const v = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
      out = new Function("v", "return (" + process.argv[2] + ");")(v);
    } catch {
      process.exit(3);
    }
    if (out === undefined) process.exit(1);
    for (const line of [out].flat()) process.stdout.write(String(line) + "\n");
  ' "$1" "$2"
}

# Temporary files, removed on exit.
out="$(mktemp)"
tmp="$(mktemp)"
list="$(mktemp)"
trap 'rm -f "$out" "$tmp" "$list"' EXIT
