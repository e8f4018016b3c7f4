#!/bin/sh
# azd post-provision hook (Windows: postprovision.ps1, the same steps): writes the notification URLs to Key
# Vault before any code is deployed, then makes the app read its Key Vault references again and waits until
# NOTIFICATION_URL and LIFECYCLE_NOTIFICATION_URL resolve. `azd up` runs provision, this hook, deploy, then
# postdeploy, which installs the key each URL carries as a function-specific key of its webhook function.
#
# The webhooks use authLevel "function", so the URLs carry a function key in `code=` (Graph keeps the query
# string on every POST). A Flex Consumption app cannot create keys before its code is deployed, so the keys
# (one per webhook, so neither URL opens the other function) are generated here, kept only in Key Vault
# (secrets notification-url, lifecycle-notification-url) and handed to the app by postdeploy. An existing
# secret is never changed: re-provisioning keeps the URLs of existing subscriptions valid. Rotating the key:
# docs/operations.md.
#
# App Service reads Key Vault references again on a configuration change or on the refresh call below, not
# on a restart; the app settings were applied while the secrets did not exist yet, so without the refresh the
# URLs could stay unresolved for up to a day ("Use Key Vault references", Microsoft Learn). Polling until
# both resolve also waits out the propagation of the app identity's fresh Key Vault Secrets User role.
# Needs the Azure CLI signed in (`az login`) as the deploying principal, which holds Key Vault Secrets
# Officer on the vault (infra/app/rbac.bicep).
set -eu
# shellcheck source=infra/hooks/lib.sh
. "$(dirname "$0")/lib.sh"

host="${SERVICE_API_URI:?run azd provision first}"
host="${host#https://}"
host="${host%/}"

# Names of the vault's secrets, one a line, in $list; fails on an answer that is not a list.
secret_names() {
  az keyvault secret list --vault-name "$vault" --subscription "$sub" --output json > "$out" &&
    json "$out" 'v.map((secret) => secret.name)' > "$list"
}

# 40 random bytes, base64url without padding: the characters a function key may hold.
new_key() {
  head -c 40 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'
}

# store_url SECRET PATH: writes https://<host>/api/PATH?code=<new key> as SECRET unless SECRET exists.
# The value goes through a file, never the command line, and printf writes no trailing newline.
store_url() {
  if grep -qx "$1" "$list"; then
    echo "Secret $1 already in ${vault}; left as it is."
    return 0
  fi
  printf 'https://%s/api/%s?code=%s' "$host" "$2" "$(new_key)" > "$tmp"
  retry az keyvault secret set --vault-name "$vault" --name "$1" --file "$tmp" --encoding utf-8 \
    --subscription "$sub" --output none
  echo "Secret $1 stored in ${vault}."
}

# Whether both URL settings show as resolved in the app's Key Vault reference status.
urls_resolved() {
  arm get "/config/configreferences/appsettings?api-version=${web_api}" "$out" &&
    json "$out" '["NOTIFICATION_URL", "LIFECYCLE_NOTIFICATION_URL"].every((name) => v.value.some((reference) =>
      reference.name.split("/").pop() === name && reference.properties.status === "Resolved")) || undefined' > /dev/null
}

retry secret_names
store_url notification-url notifications
store_url lifecycle-notification-url lifecycle

retry arm post "/config/configreferences/appsettings/refresh?api-version=${web_api}" "$out"
echo "Asked ${app} to read its Key Vault references again; waiting until both URLs resolve."
if ! retry urls_resolved; then
  echo "NOTIFICATION_URL or LIFECYCLE_NOTIFICATION_URL is still unresolved on ${app}; last status:" >&2
  json "$out" 'v.value.map((reference) => reference.name + ": " + reference.properties.status)' >&2 || cat "$out" >&2
  exit 1
fi
echo "Notification URLs stored in ${vault} and resolved by ${app}."
