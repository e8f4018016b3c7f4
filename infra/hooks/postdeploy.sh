#!/bin/sh
# azd post-deploy hook: gives Graph a way in, and nothing more. The webhooks use authLevel "function", so the
# notification and lifecycle URLs that subscriptions are created with must carry a key (Graph keeps the query
# string on every POST). infra/hooks/postprovision.sh wrote both URLs, each with its own generated key, to Key
# Vault before the code was deployed (a Flex Consumption app cannot create keys before that); this script, now
# that the code runs, makes each URL's key the function-specific key "graphNotify" of its webhook function
# (receiveNotifications, receiveLifecycleNotifications).
#
# A function-specific key opens its own function only: whoever reads a notification URL cannot reach the
# management API (authLevel "admin": master key only) or the other webhook. It never creates a host key, which
# would open every function-level function. Re-running changes nothing; a "graphNotify" key that differs from
# the URL's is never replaced (that would break every subscription created with the old URL: a rotation adds a
# key with a new name, docs/security.md).
# Needs the Azure CLI signed in (`az login`) as the deploying principal, who holds Key Vault Secrets Officer
# (infra/app/rbac.bicep).
set -eu

eval "$(azd env get-values)"

app="${AZURE_FUNCTION_NAME:?run azd provision first}"
rg="${AZURE_RESOURCE_GROUP:?run azd provision first}"
vault="${AZURE_KEY_VAULT_NAME:?run azd provision first}"
key_name="graphNotify"

# Keys go from Key Vault to the app through files (az reads `@file` values), never the command line.
tmp="$(mktemp)"
installed="$(mktemp)"
trap 'rm -f "$tmp" "$installed"' EXIT

# install_key SECRET FUNCTION: makes the key in the URL stored as SECRET a function-specific key of FUNCTION.
install_key() {
  url="$(az keyvault secret show --vault-name "$vault" --name "$1" --query value --output tsv)"
  printf '%s' "${url##*code=}" > "$tmp"
  az functionapp function keys list --resource-group "$rg" --name "$app" --function-name "$2" --query "*" --output tsv > "$installed"
  named="$(az functionapp function keys list --resource-group "$rg" --name "$app" --function-name "$2" --query "${key_name} != null" --output tsv)"
  if grep -qxF -f "$tmp" "$installed"; then
    echo "The key in $1 is already a function key of ${app}/$2."
  elif [ "$named" = "true" ]; then
    echo "Function key ${key_name} on ${app}/$2 differs from the key in $1; see docs/security.md (rotating the webhook keys)." >&2
    exit 1
  else
    echo "Setting function key ${key_name} on ${app}/$2 to the key in $1"
    az functionapp function keys set --resource-group "$rg" --name "$app" --function-name "$2" --key-name "$key_name" --key-value "@$tmp" --output none
  fi
}

install_key notification-url receiveNotifications
install_key lifecycle-notification-url receiveLifecycleNotifications
