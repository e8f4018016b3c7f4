#!/bin/sh
# azd post-deploy hook: gives Graph a way in. The webhooks use authLevel "function", so the notification and
# lifecycle URLs that subscriptions are created with must carry a function key (Graph keeps the query string
# on every POST). This script
#   1. creates a dedicated host-level function key "graphNotify" once (reused afterwards, so re-running it
#      never invalidates the URLs of existing subscriptions),
#   2. stores both URLs in Key Vault (notification-url, lifecycle-notification-url), where the app settings
#      reference them, so the key is never a plain app setting nor in deployment history,
#   3. restarts the app so the references resolve now instead of within 24 hours.
# Needs the Azure CLI signed in (`az login`) as the deploying user, who holds Key Vault Secrets Officer
# (infra/app/rbac.bicep). Rotating the key: docs/operations.md.
set -eu

eval "$(azd env get-values)"

app="${AZURE_FUNCTION_NAME:?run azd provision first}"
rg="${AZURE_RESOURCE_GROUP:?run azd provision first}"
vault="${AZURE_KEY_VAULT_NAME:?run azd provision first}"
key_name="graphNotify"

key="$(az functionapp keys list --resource-group "$rg" --name "$app" --query "functionKeys.${key_name}" --output tsv 2>/dev/null || true)"
if [ -z "$key" ]; then
  echo "Creating function key ${key_name} on ${app}"
  key="$(az functionapp keys set --resource-group "$rg" --name "$app" --key-type functionKeys --key-name "$key_name" --query value --output tsv)"
fi

host="$(az functionapp show --resource-group "$rg" --name "$app" --query defaultHostName --output tsv)"
# The key goes to Key Vault through a file, not the command line, so it never shows in a process list.
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
printf 'https://%s/api/notifications?code=%s' "$host" "$key" > "$tmp"
az keyvault secret set --vault-name "$vault" --name notification-url --file "$tmp" --output none
printf 'https://%s/api/lifecycle?code=%s' "$host" "$key" > "$tmp"
az keyvault secret set --vault-name "$vault" --name lifecycle-notification-url --file "$tmp" --output none

az functionapp restart --resource-group "$rg" --name "$app" --output none
echo "Notification URLs stored in ${vault} (secrets notification-url, lifecycle-notification-url); ${app} restarted."
