// Optional (enableEventGrid in main.bicep): what the eventGrid delivery route needs before Graph can create its
// partner topic ("Receive Microsoft Graph change notifications through Azure Event Grid"): the resource group's
// partner configuration authorising the partner MicrosoftGraphAPI until an expiry, and EventGrid Contributor on the
// resource group for the app's identity (the dead-letter container, EVENT_GRID_DEAD_LETTER_CONTAINER_NAME, is created
// with the app's other containers). Graph creates the topic itself; the reconcile timer activates it and adds the
// event subscription to receiveEventGridNotifications (EVENT_GRID_FUNCTION_APP_RESOURCE_ID, docs/deploy.md).
param storageAccountName string
@description('Principal id of the app\'s identity: activates the partner topic and manages its event subscription.')
param identityPrincipalId string
param partnerTopicName string
param location string
@minValue(1)
@maxValue(365)
@description('Days the MicrosoftGraphAPI authorisation lasts; provision again before it runs out.')
param authorizationDays int = 365
param baseTime string = utcNow('u')

// Practitioners' Bicep uses this immutable id for the MicrosoftGraphAPI partner registration; Microsoft's pages name the partner only.
var graphPartnerRegistrationId = 'c02e0126-707c-436d-b6a1-175d2748fb58'
// EventGrid Contributor: activate partner topics and write their event subscriptions.
var eventGridContributor = subscriptionResourceId(
  'Microsoft.Authorization/roleDefinitions',
  '1e241071-0855-49ea-94dc-649edcd759de'
)

resource partnerConfiguration 'Microsoft.EventGrid/partnerConfigurations@2025-02-15' = {
  name: 'default'
  location: 'global'
  properties: {
    partnerAuthorization: {
      defaultMaximumExpirationTimeInDays: authorizationDays
      authorizedPartnersList: [
        {
          partnerName: 'MicrosoftGraphAPI'
          partnerRegistrationImmutableId: graphPartnerRegistrationId
          authorizationExpirationTimeInUtc: dateTimeAdd(baseTime, 'P${authorizationDays}D')
        }
      ]
    }
  }
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

// On the resource group: the partner topic does not exist until Graph creates it.
resource appManagesTopic 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, identityPrincipalId, eventGridContributor)
  properties: {
    roleDefinitionId: eventGridContributor
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

@description('The EVENT_GRID_* app settings (EVENT_GRID_FUNCTION_APP_RESOURCE_ID is the app\'s own, set in api.bicep).')
output routeSettings object = {
  EVENT_GRID_AZURE_SUBSCRIPTION_ID: subscription().subscriptionId
  EVENT_GRID_RESOURCE_GROUP: resourceGroup().name
  EVENT_GRID_PARTNER_TOPIC: partnerTopicName
  EVENT_GRID_LOCATION: location
  EVENT_GRID_DEAD_LETTER_STORAGE_ACCOUNT_ID: storageAccount.id
}
