#!/bin/sh
# azd post-deploy hook: gives Graph a way in, and nothing more. The webhooks use authLevel "function", so the
# notification and lifecycle URLs that subscriptions are created with must carry a key (Graph keeps the query
# string on every POST). This script
#   1. creates a function-specific key "graphNotify" on each webhook function (receiveNotifications,
#      receiveLifecycleNotifications) once, reused afterwards so re-running it never invalidates the URLs of
#      existing subscriptions. A function key opens its own function only: whoever reads a notification URL
#      cannot reach the management API (authLevel "admin": master key only) or the other webhook. It never
#      creates a host key, which would open every function-level function;
#   2. stores both URLs in Key Vault (notification-url, lifecycle-notification-url), where the app settings
#      reference them, so the key is never a plain app setting nor in deployment history,
#   3. restarts the app so the references resolve now instead of within 24 hours.
# Needs the Azure CLI signed in (`az login`) as the deploying user, who holds Key Vault Secrets Officer
# (infra/app/rbac.bicep). Rotating the keys: docs/security.md.
set -eu

eval "$(azd env get-values)"

app="${AZURE_FUNCTION_NAME:?run azd provision first}"
rg="${AZURE_RESOURCE_GROUP:?run azd provision first}"
vault="${AZURE_KEY_VAULT_NAME:?run azd provision first}"
key_name="graphNotify"

# Prints the function-specific key of function $1, creating it on first run.
function_key() {
  existing="$(az functionapp function keys list --resource-group "$rg" --name "$app" --function-name "$1" --query "${key_name}" --output tsv 2>/dev/null || true)"
  if [ -n "$existing" ]; then
    printf '%s' "$existing"
    return
  fi
  echo "Creating function key ${key_name} on ${app}/$1" >&2
  az functionapp function keys set --resource-group "$rg" --name "$app" --function-name "$1" --key-name "$key_name" --query value --output tsv
}

host="$(az functionapp show --resource-group "$rg" --name "$app" --query defaultHostName --output tsv)"
# The keys go to Key Vault through a file, not the command line, so they never show in a process list.
notifications_key="$(function_key receiveNotifications)"
lifecycle_key="$(function_key receiveLifecycleNotifications)"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
printf 'https://%s/api/notifications?code=%s' "$host" "$notifications_key" > "$tmp"
az keyvault secret set --vault-name "$vault" --name notification-url --file "$tmp" --output none
printf 'https://%s/api/lifecycle?code=%s' "$host" "$lifecycle_key" > "$tmp"
az keyvault secret set --vault-name "$vault" --name lifecycle-notification-url --file "$tmp" --output none

az functionapp restart --resource-group "$rg" --name "$app" --output none
echo "Notification URLs stored in ${vault} (secrets notification-url, lifecycle-notification-url); ${app} restarted."
