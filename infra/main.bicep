// graph-notify on Azure Functions Flex Consumption: one resource group with a user-assigned identity,
// storage (shared keys disabled) holding every queue, table and container the app uses, Log Analytics +
// Application Insights (Entra ID ingestion only), Key Vault (RBAC) for the Graph credential and the
// rich-notification certificate, the function app, least-privilege role assignments, alerts and a workbook.
//
// Layout follows Azure-Samples/functions-quickstart-typescript-azd (subscription scope, abbreviations.json,
// resourceToken, infra/app/*.bicep); resources are declared natively rather than through registry (AVM)
// modules so every property is visible here for review (docs/decisions/2026-11-22-infra-native-bicep.md).
// Setting names and defaults come from the settings catalogue through app/settingDefaults.json, which
// `npm run docs:config` generates; test/contract/settings.test.ts keeps this file and the catalogue in step.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; prefixes the resource group and seeds the resource names.')
param environmentName string

@minLength(1)
@description('Region of every resource. Flex Consumption is not offered in every region: see docs/deploy.md.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the deploying principal (a person, or a pipeline\'s service principal); gets Key Vault Secrets Officer (the azd hooks write and read the URL secrets; uploading the Graph secret), and the opt-in roles below. Empty = none.')
param principalId string = ''

@description('Kind of principalId, as azd reports it in AZURE_PRINCIPAL_TYPE: User when a person runs azd, ServicePrincipal when a pipeline signs in as one. A role assignment with the wrong kind fails.')
@allowed(['User', 'ServicePrincipal', 'Group'])
param principalType string = 'User'

@description('Opt-in: give principalId the app\'s storage data roles, for the CLI or a local host against the deployed storage (docs/deploy.md).')
param deployerStorageAccess bool = false

@description('Opt-in: give principalId Key Vault Certificates Officer, to create the Graph or rich-notification certificate in the vault.')
param deployerCertificateAccess bool = false

@description('Opt-in: give principalId Monitoring Metrics Publisher on Application Insights, for telemetry from a local host.')
param deployerTelemetryAccess bool = false

@description('Application (client) id of the Graph app registration (docs/deploy.md, step 1).')
param graphClientId string

@description('Home tenant of the app registration.')
param graphTenantId string = tenant().tenantId

@description('How the app proves its identity to Entra ID. managedIdentity: the user-assigned identity as a federated credential (no secret anywhere); certificate: a Key Vault certificate; secret: a Key Vault secret (avoid).')
@allowed(['managedIdentity', 'certificate', 'secret'])
param graphCredential string = 'managedIdentity'

@description('SHA-256 thumbprint (64 hex digits) of the Graph client certificate, when graphCredential = certificate.')
param graphCertificateThumbprint string = ''

@description('Version of the Key Vault certificate used for rich notifications. Empty = rich notifications off.')
param encryptionCertificateVersion string = ''

@description('During rotation of the rich-notification certificate: the version being retired. Empty otherwise.')
param previousEncryptionCertificateVersion string = ''

@description('Memory per instance in MB (Flex Consumption sizes).')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Upper bound on instances for the whole app (Flex Consumption: 40 to 1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('App settings that replace the catalogue defaults (or add host overrides such as AzureFunctionsJobHost__extensions__queues__batchSize). Queue, table and container names given here are also what gets provisioned.')
param appSettingOverrides object = {}

@description('E-mail address that receives alerts. Empty = alerts fire in the portal only.')
param alertEmail string = ''

@description('Alert when a live subscription is this close to expiry. Keep it below the reconciler\'s renewal window (docs/operations.md).')
@minValue(1)
param expiryAlertHours int = 6

@description('Resource kinds whose maximum lifetime is at most expiryAlertHours (presence: 1 hour); the expiry alert ignores them, the renewal-failure alert still covers them.')
param shortLivedResourceKinds array = ['presence']

@description('Key Vault purge protection. Keep true in production; false lets `azd down --purge` remove the vault at once.')
param keyVaultPurgeProtection bool = true

@description('Days of log retention in Log Analytics.')
@minValue(30)
param logRetentionDays int = 30

@description('Deploy the Event Grid route\'s partner configuration (MicrosoftGraphAPI) and dead-letter container (docs/deploy.md#event-grid-and-event-hubs).')
param enableEventGrid bool = false
@description('Name of the partner topic Graph creates for eventGrid subscriptions; empty = graph-notify-<resourceToken>.')
param eventGridPartnerTopic string = ''
@description('Deploy the Event Hubs route: namespace, hub, consumer group and roles (docs/deploy.md#event-grid-and-event-hubs).')
param enableEventHubs bool = false
@description('Object id of the "Microsoft Graph Change Tracking" service principal in this tenant (needed with enableEventHubs).')
param changeTrackingPrincipalId string = ''
@description('The tenant\'s primary domain (needed with enableEventHubs), e.g. contoso.com.')
param eventHubsTenantDomain string = ''

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

// Catalogue defaults (generated) with the operator's overrides on top: the single source of the names
// below and of the app settings in app/api.bicep.
var settings = union(loadJsonContent('app/settingDefaults.json'), appSettingOverrides)

var functionAppName = '${abbrs.webSitesFunctions}api-${resourceToken}'
// The quickstart's naming: unique per app, within the 63-character container-name limit.
var deploymentStorageContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'

// Every queue a trigger reads has its poison queue created up front: the host moves failed messages there
// with add-message-and-create-if-missing, and pre-creating keeps monitoring and replay from racing that.
var triggerQueueNames = [
  settings.NOTIFICATIONS_QUEUE_NAME
  '${settings.NOTIFICATIONS_QUEUE_NAME}-poison'
  settings.LIFECYCLE_QUEUE_NAME
  '${settings.LIFECYCLE_QUEUE_NAME}-poison'
]
// Output-only queue for downstream consumers (no trigger, so no poison queue); empty = feature off.
var outputQueueNames = empty(settings.CHANGE_EVENTS_QUEUE_NAME) ? [] : [settings.CHANGE_EVENTS_QUEUE_NAME]
var queueNames = concat(triggerQueueNames, outputQueueNames)
var tableNames = [
  settings.SUBSCRIPTIONS_TABLE_NAME
  settings.DELTA_STATE_TABLE_NAME
  settings.FAILURES_TABLE_NAME
  settings.RECEIPTS_TABLE_NAME
]
var containerNames = [
  deploymentStorageContainerName
  settings.PAYLOAD_CONTAINER_NAME
  settings.RESOURCES_CONTAINER_NAME
  settings.EVENT_HUBS_PAYLOAD_CONTAINER_NAME
  settings.EVENT_GRID_DEAD_LETTER_CONTAINER_NAME
]

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    queueNames: queueNames
    tableNames: tableNames
    containerNames: containerNames
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    retentionInDays: logRetentionDays
  }
}

module keyVault 'app/keyVault.bicep' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    purgeProtection: keyVaultPurgeProtection
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    identityPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
    userStorageAccess: deployerStorageAccess
    userCertificateAccess: deployerCertificateAccess
    userTelemetryAccess: deployerTelemetryAccess
  }
}

module eventGrid 'app/eventGrid.bicep' = if (enableEventGrid) {
  name: 'eventGrid'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    identityPrincipalId: identity.outputs.principalId
    partnerTopicName: empty(eventGridPartnerTopic) ? 'graph-notify-${resourceToken}' : eventGridPartnerTopic
    location: location
  }
}

module eventHubs 'app/eventHubs.bicep' = if (enableEventHubs) {
  name: 'eventHubs'
  scope: rg
  params: {
    namespaceName: 'evhns-${resourceToken}'
    location: location
    tags: tags
    hubName: settings.EVENT_HUBS_NAME
    consumerGroupName: settings.EVENT_HUBS_CONSUMER_GROUP
    identityPrincipalId: identity.outputs.principalId
    changeTrackingPrincipalId: changeTrackingPrincipalId
    tenantDomain: eventHubsTenantDomain
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentStorageContainerName: deploymentStorageContainerName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    keyVaultUri: keyVault.outputs.uri
    settings: settings
    appSettingOverrides: appSettingOverrides
    graphClientId: graphClientId
    graphTenantId: graphTenantId
    graphCredential: graphCredential
    graphCertificateThumbprint: graphCertificateThumbprint
    encryptionCertificateVersion: encryptionCertificateVersion
    previousEncryptionCertificateVersion: previousEncryptionCertificateVersion
    routeSettings: union(enableEventGrid ? eventGrid!.outputs.routeSettings : {}, enableEventHubs ? eventHubs!.outputs.routeSettings : {})
  }
  // Key Vault references and identity-based storage resolve at start-up: grant the roles first.
  dependsOn: [rbac]
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    namePrefix: '${abbrs.insightsScheduledQueryRules}${resourceToken}'
    actionGroupName: '${abbrs.insightsActionGroups}${resourceToken}'
    location: location
    tags: tags
    logAnalyticsId: monitoring.outputs.logAnalyticsId
    alertEmail: alertEmail
    expiryAlertHours: expiryAlertHours
    shortLivedResourceKinds: shortLivedResourceKinds
  }
}

module workbook 'app/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsId: monitoring.outputs.logAnalyticsId
    environmentName: environmentName
  }
}

// Read by azd (and by infra/hooks/*.sh through `azd env get-values`).
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_URI string = keyVault.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.applicationInsightsConnectionString
