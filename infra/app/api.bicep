// The Flex Consumption plan and the function app (Node 22), deployed from a blob container with the
// user-assigned identity, and its app settings: one entry per setting in the catalogue
// (src/lib/config/catalogue.ts, except the local-only ones in scripts/settingsContract.ts), checked by
// test/contract/settings.test.ts. Tunable values come from `settings` (catalogue defaults + overrides);
// secrets are Key Vault references resolved with the same identity.
param name string
param planName string
param location string
param tags object
param instanceMemoryMB int
param maximumInstanceCount int
param identityId string
param identityClientId string
param blobEndpoint string
param queueEndpoint string
param tableEndpoint string
param deploymentStorageContainerName string
param applicationInsightsConnectionString string
@description('Vault URI, ending with a slash.')
param keyVaultUri string
@description('Catalogue defaults merged with appSettingOverrides, keyed by setting name.')
param settings object
param appSettingOverrides object
param graphClientId string
param graphTenantId string
param graphCredential string
param graphCertificateThumbprint string
param encryptionCertificateVersion string
param previousEncryptionCertificateVersion string
@description('Delivery route settings from the optional Event Grid / Event Hubs modules (infra/main.bicep); empty = webhooks only.')
param routeSettings object = {}

// Names of the Key Vault objects the settings reference (docs/deploy.md uploads them).
var secretNames = {
  graphClientSecret: 'graph-client-secret'
  // A Key Vault certificate with content type application/x-pem-file: its secret is the PEM bundle
  // (private key + certificate), which the Graph settings accept as is.
  graphCertificate: 'graph-certificate'
  richNotificationCertificate: 'rich-notifications'
  // Written by infra/hooks/postprovision.sh before the code is deployed: the webhook URLs with the function key.
  notificationUrl: 'notification-url'
  lifecycleNotificationUrl: 'lifecycle-notification-url'
}

// Versionless: follows the newest version (picked up within 24 h or on restart).
func latest(vaultUri string, secretName string) string => '@Microsoft.KeyVault(SecretUri=${vaultUri}secrets/${secretName}/)'
// Pinned: the rich-notification certificate id and its key must change together, so both are pinned to
// the version the operator names (rotation: docs/operations.md).
func pinned(vaultUri string, secretName string, version string) string => '@Microsoft.KeyVault(SecretUri=${vaultUri}secrets/${secretName}/${version})'

var richNotifications = !empty(encryptionCertificateVersion)
var rotatingRichCertificate = !empty(previousEncryptionCertificateVersion)

var catalogueSettings = {
  // ---- Storage: identity-based, for the host and the app alike (shared keys are disabled).
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  AzureWebJobsStorage__queueServiceUri: queueEndpoint
  AzureWebJobsStorage__tableServiceUri: tableEndpoint
  NOTIFICATIONS_QUEUE_NAME: settings.NOTIFICATIONS_QUEUE_NAME
  LIFECYCLE_QUEUE_NAME: settings.LIFECYCLE_QUEUE_NAME
  PAYLOAD_CONTAINER_NAME: settings.PAYLOAD_CONTAINER_NAME
  SUBSCRIPTIONS_TABLE_NAME: settings.SUBSCRIPTIONS_TABLE_NAME

  // ---- Ingest.
  INGEST_MAX_BODY_BYTES: settings.INGEST_MAX_BODY_BYTES
  // The host stops reading at the app's own limit instead of buffering up to 100 MiB first (docs/ingest.md#bounded-work-per-request).
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: settings.INGEST_MAX_BODY_BYTES
  SUBSCRIPTION_CACHE_TTL_SECONDS: settings.SUBSCRIPTION_CACHE_TTL_SECONDS

  // ---- Graph access. Only the chosen credential's settings are filled; the others stay empty (= unset).
  GRAPH_CLIENT_ID: graphClientId
  GRAPH_TENANT_ID: graphTenantId
  GRAPH_CREDENTIAL: graphCredential
  GRAPH_CLIENT_SECRET: graphCredential == 'secret' ? latest(keyVaultUri, secretNames.graphClientSecret) : ''
  GRAPH_CERTIFICATE_PRIVATE_KEY: graphCredential == 'certificate' ? latest(keyVaultUri, secretNames.graphCertificate) : ''
  GRAPH_CERTIFICATE_THUMBPRINT: graphCredential == 'certificate' ? graphCertificateThumbprint : ''
  // The app's own identity is the federated credential (docs/deploy.md adds it to the app registration).
  GRAPH_MANAGED_IDENTITY_CLIENT_ID: graphCredential == 'managedIdentity' ? identityClientId : ''
  GRAPH_BASE_URL: settings.GRAPH_BASE_URL
  GRAPH_AUTHORITY_HOST: settings.GRAPH_AUTHORITY_HOST
  GRAPH_REQUEST_TIMEOUT_MS: settings.GRAPH_REQUEST_TIMEOUT_MS
  VALIDATION_TOKEN_JWKS_URL: settings.VALIDATION_TOKEN_JWKS_URL
  VALIDATION_TOKEN_ISSUERS: settings.VALIDATION_TOKEN_ISSUERS

  // ---- Rich notifications: one Key Vault certificate (PEM) serves as both the certificate and its key.
  ENCRYPTION_CERTIFICATE_ID: richNotifications ? '${secretNames.richNotificationCertificate}-${encryptionCertificateVersion}' : ''
  ENCRYPTION_CERTIFICATE: richNotifications ? pinned(keyVaultUri, secretNames.richNotificationCertificate, encryptionCertificateVersion) : ''
  ENCRYPTION_PRIVATE_KEY: richNotifications ? pinned(keyVaultUri, secretNames.richNotificationCertificate, encryptionCertificateVersion) : ''
  ENCRYPTION_PREVIOUS_CERTIFICATE_ID: rotatingRichCertificate ? '${secretNames.richNotificationCertificate}-${previousEncryptionCertificateVersion}' : ''
  ENCRYPTION_PREVIOUS_PRIVATE_KEY: rotatingRichCertificate ? pinned(keyVaultUri, secretNames.richNotificationCertificate, previousEncryptionCertificateVersion) : ''

  // ---- Subscriptions: the URLs Graph is given, with the function key (Key Vault, written after provision).
  NOTIFICATION_URL: latest(keyVaultUri, secretNames.notificationUrl)
  LIFECYCLE_NOTIFICATION_URL: latest(keyVaultUri, secretNames.lifecycleNotificationUrl)
  RECONCILE_SCHEDULE: settings.RECONCILE_SCHEDULE
  RENEWAL_WINDOW_MINUTES: settings.RENEWAL_WINDOW_MINUTES
  RENEWAL_JITTER_PERCENT: settings.RENEWAL_JITTER_PERCENT
  EXPIRATION_MARGIN_MINUTES: settings.EXPIRATION_MARGIN_MINUTES
  DRIFT_CHECK_INTERVAL_MINUTES: settings.DRIFT_CHECK_INTERVAL_MINUTES
  RECONCILE_CONCURRENCY_PER_TENANT: settings.RECONCILE_CONCURRENCY_PER_TENANT
  // Empty = no cap beyond each resource's Graph maximum.
  SUBSCRIPTION_MAX_LIFETIME_MINUTES: ''
  // Desired state is a file deployed with the app; empty = off (docs/subscriptions.md).
  DESIRED_SUBSCRIPTIONS_PATH: ''

  // ---- Resync safety net (docs/subscriptions.md#what-is-guaranteed).
  RESYNC_INTERVAL_MINUTES: settings.RESYNC_INTERVAL_MINUTES
  EVENT_RESYNC_WINDOW_DAYS: settings.EVENT_RESYNC_WINDOW_DAYS

  // ---- Delivery routes (docs/deploy.md#event-grid-and-event-hubs): empty unless an optional module is on.
  DEFAULT_DELIVERY: settings.DEFAULT_DELIVERY
  EVENT_GRID_AZURE_SUBSCRIPTION_ID: routeSettings.?EVENT_GRID_AZURE_SUBSCRIPTION_ID ?? ''
  EVENT_GRID_RESOURCE_GROUP: routeSettings.?EVENT_GRID_RESOURCE_GROUP ?? ''
  EVENT_GRID_PARTNER_TOPIC: routeSettings.?EVENT_GRID_PARTNER_TOPIC ?? ''
  EVENT_GRID_LOCATION: routeSettings.?EVENT_GRID_LOCATION ?? ''
  // With the Event Grid module on, the reconcile timer activates the partner topic and subscribes this app to it.
  EVENT_GRID_FUNCTION_APP_RESOURCE_ID: empty(routeSettings.?EVENT_GRID_PARTNER_TOPIC ?? '')
    ? ''
    : resourceId('Microsoft.Web/sites', name)
  EVENT_GRID_DEAD_LETTER_STORAGE_ACCOUNT_ID: routeSettings.?EVENT_GRID_DEAD_LETTER_STORAGE_ACCOUNT_ID ?? ''
  EVENT_GRID_DEAD_LETTER_CONTAINER_NAME: settings.EVENT_GRID_DEAD_LETTER_CONTAINER_NAME
  EVENT_GRID_EVENT_SUBSCRIPTION_NAME: settings.EVENT_GRID_EVENT_SUBSCRIPTION_NAME
  EVENT_HUBS__fullyQualifiedNamespace: routeSettings.?EVENT_HUBS__fullyQualifiedNamespace ?? ''
  EVENT_HUBS_NAME: settings.EVENT_HUBS_NAME
  EVENT_HUBS_CONSUMER_GROUP: settings.EVENT_HUBS_CONSUMER_GROUP
  EVENT_HUBS_TENANT_DOMAIN: routeSettings.?EVENT_HUBS_TENANT_DOMAIN ?? ''
  // Rich notifications over 1 MB: set the Key Vault secret URL after deploy (docs/ingest.md#rich-notifications-over-1-mb).
  EVENT_HUBS_BLOB_STORE_URL: routeSettings.?EVENT_HUBS_BLOB_STORE_URL ?? ''
  EVENT_HUBS_PAYLOAD_CONTAINER_NAME: settings.EVENT_HUBS_PAYLOAD_CONTAINER_NAME

  // ---- Processing and the sink.
  RESOURCES_CONTAINER_NAME: settings.RESOURCES_CONTAINER_NAME
  CHANGE_EVENTS_QUEUE_NAME: settings.CHANGE_EVENTS_QUEUE_NAME
  DELTA_STATE_TABLE_NAME: settings.DELTA_STATE_TABLE_NAME
  FAILURES_TABLE_NAME: settings.FAILURES_TABLE_NAME
  GRAPH_SELECT: settings.GRAPH_SELECT
  COALESCE_DELAY_SECONDS: settings.COALESCE_DELAY_SECONDS
  COALESCE_MAX_WAIT_SECONDS: settings.COALESCE_MAX_WAIT_SECONDS
  RECEIPTS_TABLE_NAME: settings.RECEIPTS_TABLE_NAME

  // ---- Telemetry: the host and the app's exporter both sign in with the identity (local auth is off).
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

// The Event Hubs trigger's identity-based connection (prefix EVENT_HUBS): the namespace is a catalogue setting,
// these two tell the host to sign in with the user-assigned identity.
var eventHubsConnection = empty(routeSettings.?EVENT_HUBS__fullyQualifiedNamespace ?? '') ? {} : {
  EVENT_HUBS__credential: 'managedidentity'
  EVENT_HUBS__clientId: identityClientId
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd finds the app to deploy the `api` service (azure.yaml) to by this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Hardening beyond the platform defaults: TLS 1.2 at least (app and SCM site), no FTP(S), HTTP/2. Deploying
    // needs none of FTP or basic auth: azd publishes with the signed-in identity (policies below).
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    // Key Vault references resolve as this identity (the app has no system-assigned identity).
    keyVaultReferenceIdentity: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentStorageContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      // Flex Consumption takes the runtime here; FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION
      // are not used on this plan.
      runtime: { name: 'node', version: '22' }
    }
  }
}

// Basic (user name and password) publishing credentials off for FTP and for the SCM site: deployments and the
// hooks authenticate with Microsoft Entra ID ("Disable basic authentication in App Service deployments").
resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: { allow: false }
}

resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: { allow: false }
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  // Overrides last: an operator may replace any value, including host.json overrides (AzureFunctionsJobHost__*).
  properties: union(catalogueSettings, eventHubsConnection, appSettingOverrides)
}

output name string = site.name
output uri string = 'https://${site.properties.defaultHostName}'
