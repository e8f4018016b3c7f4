// Optional (enableEventGrid in main.bicep): what the eventGrid delivery route needs before Graph can create its
// partner topic ("Receive Microsoft Graph change notifications through Azure Event Grid"): the resource group's
// partner configuration authorising the partner MicrosoftGraphAPI until an expiry, and a blob container for the
// event subscription's dead letters. Graph creates the topic itself; activating it and adding the event
// subscription to receiveEventGridNotifications is the step in docs/deploy.md#event-grid-and-event-hubs.
param storageAccountName string
param partnerTopicName string
param location string
@minValue(1)
@maxValue(365)
@description('Days the MicrosoftGraphAPI authorisation lasts; provision again before it runs out.')
param authorizationDays int = 365
param baseTime string = utcNow('u')

// Practitioners' Bicep uses this immutable id for the MicrosoftGraphAPI partner registration; Microsoft's pages name the partner only.
var graphPartnerRegistrationId = 'c02e0126-707c-436d-b6a1-175d2748fb58'
var deadLetterContainerName = 'eventgrid-deadletter'

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

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storageAccount
  name: 'default'
}

resource deadLetters 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deadLetterContainerName
  properties: { publicAccess: 'None' }
}

@description('The EVENT_GRID_* app settings.')
output routeSettings object = {
  EVENT_GRID_AZURE_SUBSCRIPTION_ID: subscription().subscriptionId
  EVENT_GRID_RESOURCE_GROUP: resourceGroup().name
  EVENT_GRID_PARTNER_TOPIC: partnerTopicName
  EVENT_GRID_LOCATION: location
}
output deadLetterContainerName string = deadLetters.name
