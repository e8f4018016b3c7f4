#!/bin/sh
# azd post-provision hook: writes the notification URLs to Key Vault before any code is deployed, so the
# app's first start already resolves its NOTIFICATION_URL and LIFECYCLE_NOTIFICATION_URL references (a
# reference to a missing secret reaches the app as its literal text). `azd up` runs provision, this hook,
# deploy, then infra/hooks/postdeploy.sh, which installs the key each URL carries as a function-specific key
# of its webhook function.
#
# The webhooks use authLevel "function", so the URLs carry a function key in `code=` (Graph keeps the query
# string on every POST). A Flex Consumption app cannot create keys before its code is deployed, so the keys
# (one per webhook, so neither URL opens the other function) are generated here, kept only in Key Vault (secrets notification-url, lifecycle-notification-url) and
# handed to the app by postdeploy. Existing secrets are never changed: re-provisioning keeps the URLs of
# existing subscriptions valid. Rotating the key: docs/operations.md.
# Needs the Azure CLI signed in (`az login`) as the deploying principal, which holds Key Vault Secrets
# Officer (infra/app/rbac.bicep); a fresh role assignment can take a few minutes to apply, hence the retries.
set -eu

eval "$(azd env get-values)"

app="${AZURE_FUNCTION_NAME:?run azd provision first}"
rg="${AZURE_RESOURCE_GROUP:?run azd provision first}"
vault="${AZURE_KEY_VAULT_NAME:?run azd provision first}"

# Runs "$@" until it succeeds, up to 10 tries 30 s apart (role assignments propagate within minutes).
retry() {
  tries=1
  until "$@"; do
    if [ "$tries" -ge 10 ]; then
      echo "Giving up after $tries tries: $*" >&2
      return 1
    fi
    echo "Key Vault not reachable yet for this principal (role assignment propagating?); retrying in 30 s" >&2
    tries=$((tries + 1))
    sleep 30
  done
}

secret_names() {
  az keyvault secret list --vault-name "$vault" --query "[].name" --output tsv > "$names"
}

names="$(mktemp)"
tmp="$(mktemp)"
trap 'rm -f "$names" "$tmp"' EXIT
retry secret_names

if grep -qx notification-url "$names" && grep -qx lifecycle-notification-url "$names"; then
  echo "Notification URLs already in ${vault}; left as they are."
  exit 0
fi

host="$(az functionapp show --resource-group "$rg" --name "$app" --query defaultHostName --output tsv)"
# 40 random bytes, base64url without padding: the characters a function key may hold.
new_key() {
  head -c 40 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'
}
# Values go to Key Vault through a file, not the command line, so they never show in a process list.
printf 'https://%s/api/notifications?code=%s' "$host" "$(new_key)" > "$tmp"
retry az keyvault secret set --vault-name "$vault" --name notification-url --file "$tmp" --output none
printf 'https://%s/api/lifecycle?code=%s' "$host" "$(new_key)" > "$tmp"
retry az keyvault secret set --vault-name "$vault" --name lifecycle-notification-url --file "$tmp" --output none

# The app settings were applied moments ago, while the secrets did not exist yet: a restart makes the
# platform fetch the references again now rather than within 24 hours.
az functionapp restart --resource-group "$rg" --name "$app" --output none
echo "Notification URLs stored in ${vault} (secrets notification-url, lifecycle-notification-url); ${app} restarted."
