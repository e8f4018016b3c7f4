#!/bin/sh
# azd post-deploy hook: gives Graph a way in. The webhooks use authLevel "function", so the notification and
# lifecycle URLs that subscriptions are created with must carry a function key (Graph keeps the query string
# on every POST). infra/hooks/postprovision.sh wrote both URLs to Key Vault before the code was deployed
# (a Flex Consumption app cannot create keys before that); this script, now that the code runs,
#   1. reads the key those URLs carry from the notification-url secret,
#   2. makes it the dedicated host-level function key "graphNotify" unless some function key already holds it
#      (re-running changes nothing; during a key rotation the new key has its own name, docs/operations.md).
# Needs the Azure CLI signed in (`az login`) as the deploying principal, who holds Key Vault Secrets Officer
# (infra/app/rbac.bicep). Rotating the key: docs/operations.md.
set -eu

eval "$(azd env get-values)"

app="${AZURE_FUNCTION_NAME:?run azd provision first}"
rg="${AZURE_RESOURCE_GROUP:?run azd provision first}"
vault="${AZURE_KEY_VAULT_NAME:?run azd provision first}"
key_name="graphNotify"

# The key goes from Key Vault to the app through files (az reads `@file` values), never the command line.
tmp="$(mktemp)"
installed="$(mktemp)"
trap 'rm -f "$tmp" "$installed"' EXIT
url="$(az keyvault secret show --vault-name "$vault" --name notification-url --query value --output tsv)"
printf '%s' "${url##*code=}" > "$tmp"
az functionapp keys list --resource-group "$rg" --name "$app" --query "values(functionKeys)" --output tsv > "$installed"
named="$(az functionapp keys list --resource-group "$rg" --name "$app" --query "functionKeys.${key_name} != null" --output tsv)"

if grep -qxF -f "$tmp" "$installed"; then
  echo "The key in the notification URLs is already a function key of ${app}."
elif [ "$named" = "true" ]; then
  # Replacing it would break every subscription created with the old URLs (a rotation adds a second key).
  echo "Function key ${key_name} on ${app} differs from the key in notification-url; see docs/operations.md (rotating the function key)." >&2
  exit 1
else
  echo "Setting function key ${key_name} on ${app} to the key in the notification URLs"
  az functionapp keys set --resource-group "$rg" --name "$app" --key-type functionKeys --key-name "$key_name" --key-value "@$tmp" --output none
fi
