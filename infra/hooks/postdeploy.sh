#!/bin/sh
# azd post-deploy hook (Windows: postdeploy.ps1, the same steps): gives Graph a way in, and nothing more. The
# webhooks use authLevel "function", so the notification and lifecycle URLs that subscriptions are created
# with must carry a key (Graph keeps the query string on every POST). postprovision wrote both URLs, each with
# its own generated key, to Key Vault before the code was deployed (a Flex Consumption app cannot create keys
# before that); this script, now that the code runs, makes each URL's key the function-specific key
# "graphNotify" of its webhook function (receiveNotifications, receiveLifecycleNotifications), then deletes
# the "default" key Azure creates for every function-level function, which would open the webhook too.
#
# A function-specific key opens its own function only: whoever reads a notification URL cannot reach the
# management API (authLevel "admin": master key only) or the other webhook. It never creates a host key, which
# would open every function-level function. Re-running changes nothing; a "graphNotify" key that differs from
# the URL's is never replaced (that would break every subscription created with the old URL: a rotation adds a
# key with a new name, docs/security.md). Keys are read through the management API (listkeys): an answer that
# is not a key list (null, as some Azure CLI versions print for `function keys list`) is retried, never read as
# "no key". Needs the Azure CLI signed in (`az login`) as the deploying principal, who holds Key Vault Secrets
# Officer (infra/app/rbac.bicep) and may manage the function app (it deployed it).
set -eu
# shellcheck source=infra/hooks/lib.sh
. "$(dirname "$0")/lib.sh"
key_name="graphNotify"

# The URL stored as SECRET; fails unless it carries a key.
read_url() {
  az keyvault secret show --vault-name "$vault" --name "$1" --subscription "$sub" --output json > "$out" &&
    json "$out" 'v.value.includes("?code=") ? v.value : undefined' > "$tmp"
}

# The keys of FUNCTION as "name<TAB>value" lines in $list. The API answers a flat name-to-value object; an
# answer shaped like the SDK's StringDictionary ({ properties: {...} }) is read too. Anything else fails.
function_keys() {
  arm post "/functions/$1/listkeys?api-version=${web_api}" "$out" &&
    json "$out" 'Object.entries(v.properties === undefined ? v : v.properties)
      .filter(([name, value]) => typeof value === "string" && !["id", "name", "type", "kind", "location"].includes(name))
      .map(([name, value]) => name + "\t" + value)' > "$list"
}

# install_key SECRET FUNCTION: makes the key in the URL stored as SECRET a function-specific key of FUNCTION.
install_key() {
  retry read_url "$1"
  url="$(cat "$tmp")"
  key="${url##*code=}"
  # Compared through a file (grep -f), so the key never shows in a process list.
  printf '%s\n' "$key" > "$tmp"
  retry function_keys "$2"
  if cut -f2 "$list" | grep -qxF -f "$tmp"; then
    echo "The key in $1 is already a function key of ${app}/$2."
  elif cut -f1 "$list" | grep -qx "$key_name"; then
    echo "Function key ${key_name} on ${app}/$2 differs from the key in $1; see docs/security.md (rotating the webhook keys)." >&2
    exit 1
  else
    echo "Setting function key ${key_name} on ${app}/$2 to the key in $1"
    # The key goes to az in a file (--body @file), never on the command line.
    printf '{"properties":{"name":"%s","value":"%s"}}' "$key_name" "$key" > "$tmp"
    retry arm put "/functions/$2/keys/${key_name}?api-version=${web_api}" "$out" "$tmp"
  fi
  if cut -f1 "$list" | grep -qx default; then
    echo "Deleting the auto-created function key default on ${app}/$2"
    retry arm delete "/functions/$2/keys/default?api-version=${web_api}" "$out"
  fi
}

install_key notification-url receiveNotifications
install_key lifecycle-notification-url receiveLifecycleNotifications
