// Least-privilege data-plane roles. Management roles (Owner, Contributor) grant no data access and are
// never needed by the app. Role ids: built-in roles, identical in every tenant
// (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
param storageAccountName string
param applicationInsightsName string
param keyVaultName string
@description('Principal (object) id of the app\'s user-assigned identity.')
param identityPrincipalId string
@description('Object id of the deploying principal; empty = no roles for it.')
param userPrincipalId string
@description('Kind of the deploying principal: User when a person runs azd, ServicePrincipal in a pipeline.')
@allowed(['User', 'ServicePrincipal', 'Group'])
param userPrincipalType string
@description('Opt-in: the app\'s storage data roles for the deploying principal (the CLI or a local host against Azure).')
param userStorageAccess bool
@description('Opt-in: Key Vault Certificates Officer for the deploying principal (creating the Graph or rich-notification certificate).')
param userCertificateAccess bool
@description('Opt-in: Monitoring Metrics Publisher on Application Insights for the deploying principal (telemetry from a local host).')
param userTelemetryAccess bool

var roles = {
  // Host storage needs Owner, not Contributor: the host manages blob leases and ownership for its locks,
  // keys (azure-webjobs-secrets) and the deployment package; the app writes claim-check payloads and the
  // resource sink (functions-reference "Connecting to host storage with an identity").
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  // Queues: ingest sends, triggers receive/update/delete, the host writes <queue>-poison, processing re-queues
  // throttled work with a delay, and the adapters call create-if-not-exists on start, which needs the queue
  // write action that only Contributor carries among the queue data roles (Reader + Message Processor +
  // Message Sender would do if the adapters stopped creating queues: see docs/operations.md).
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // Tables: subscriptions, delta state and failures are read and written (ETag-guarded updates).
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  // Application Insights with local auth disabled accepts telemetry only from holders of this role.
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  // Read secret values (Key Vault references); cannot list, write or delete.
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  // Deploying principal only: upload the Graph credential and let infra/hooks/postprovision.sh write the URL secrets.
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  // Deploying principal only, opt-in (userCertificateAccess): create or import the Graph and rich-notification certificates.
  keyVaultCertificatesOfficer: 'a4417e6f-fecd-4de8-b567-7b0420556985'
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

var storageRoles = [roles.storageBlobDataOwner, roles.storageQueueDataContributor, roles.storageTableDataContributor]

// ---- The app's identity -----------------------------------------------------------------------------

resource identityStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: {
    name: guid(storageAccount.id, identityPrincipalId, roleId)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: identityPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource identityTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, identityPrincipalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource identitySecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, identityPrincipalId, roles.keyVaultSecretsUser)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// ---- The deploying principal (optional) ----------------------------------------------------------------
// By default only what the azd hooks need: Key Vault Secrets Officer, to write the notification URLs
// (postprovision) and read them back (postdeploy), and to upload the Graph client secret. The rest is opt-in
// (main.bicep params deployerStorageAccess, deployerCertificateAccess, deployerTelemetryAccess;
// docs/deploy.md): the app's storage roles so the CLI or a local host can run against the Azure account with
// the developer's sign-in (e.g. `graph-notify poison list`), certificate creation, and telemetry publishing.

resource userStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: if (!empty(userPrincipalId) && userStorageAccess) {
    name: guid(storageAccount.id, userPrincipalId, roleId)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: userPrincipalId
      principalType: userPrincipalType
    }
  }
]

var userVaultRoles = concat([roles.keyVaultSecretsOfficer], userCertificateAccess ? [roles.keyVaultCertificatesOfficer] : [])

resource userVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in userVaultRoles: if (!empty(userPrincipalId)) {
    name: guid(keyVault.id, userPrincipalId, roleId)
    scope: keyVault
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: userPrincipalId
      principalType: userPrincipalType
    }
  }
]

resource userTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userPrincipalId) && userTelemetryAccess) {
  name: guid(applicationInsights.id, userPrincipalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}
