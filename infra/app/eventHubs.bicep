// Optional (enableEventHubs in main.bicep): what the eventHubs delivery route needs ("Receive change
// notifications through Azure Event Hubs"): a Standard namespace (1 MB events; Basic allows 256 KB) with local
// (SAS) authentication off, the hub, a consumer group for the app alone, Azure Event Hubs Data Sender on the hub
// for Microsoft Graph's Change Tracking service principal, and Data Receiver for the app's identity, which the
// trigger's identity-based connection (EVENT_HUBS__fullyQualifiedNamespace) signs in with.
param namespaceName string
param location string
param tags object
param hubName string
param consumerGroupName string
@description('Object id of the app\'s user-assigned identity.')
param identityPrincipalId string
@description('Object id, in this tenant, of the "Microsoft Graph Change Tracking" service principal (app id 0bf30f3b-4a52-48df-9a82-234910c4a086).')
param changeTrackingPrincipalId string
@description('The tenant\'s primary domain, sent as tenantId in the Event Hubs notificationUrl.')
param tenantDomain string
@minValue(1)
@maxValue(32)
param partitionCount int = 4

var dataSender = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '2b629674-e913-4c01-ae53-ef4638d8f975')
var dataReceiver = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde')

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: namespaceName
  location: location
  tags: tags
  sku: { name: 'Standard', tier: 'Standard', capacity: 1 }
  properties: { disableLocalAuth: true, minimumTlsVersion: '1.2' }
}

resource hub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: namespace
  name: hubName
  properties: { partitionCount: partitionCount, retentionDescription: { cleanupPolicy: 'Delete', retentionTimeInHours: 168 } }
}

resource consumerGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = if (consumerGroupName != '$Default') {
  parent: hub
  name: consumerGroupName
}

// On the hub, not the consumer group: a Receiver assigned at consumer-group scope is refused the Listen claim.
resource graphSends 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hub.id, changeTrackingPrincipalId, dataSender)
  scope: hub
  properties: { roleDefinitionId: dataSender, principalId: changeTrackingPrincipalId, principalType: 'ServicePrincipal' }
}

resource appReceives 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hub.id, identityPrincipalId, dataReceiver)
  scope: hub
  properties: { roleDefinitionId: dataReceiver, principalId: identityPrincipalId, principalType: 'ServicePrincipal' }
}

@description('The EVENT_HUBS_* app settings Graph\'s URL and the trigger read.')
output routeSettings object = {
  EVENT_HUBS__fullyQualifiedNamespace: '${namespace.name}.servicebus.windows.net'
  EVENT_HUBS_TENANT_DOMAIN: tenantDomain
}
