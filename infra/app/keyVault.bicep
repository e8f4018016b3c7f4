// Key Vault for what must stay secret: the Graph client credential (certificate or secret; none with the
// managed-identity credential), the rich-notification certificate and its private key, and the
// notification URLs that carry the function key. Authorization is RBAC only (no access policies), so
// every reader is a role assignment in app/rbac.bicep. This file creates no secret values: operators
// upload them (docs/deploy.md) and infra/hooks/postprovision.sh writes the URLs.
param name string
param location string
param tags object
param purgeProtection bool

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // Purge protection cannot be turned off once on; ARM rejects `false` after `true`, hence null.
    enablePurgeProtection: purgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri
