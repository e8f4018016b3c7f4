// One Azure Monitor workbook with the pipeline's health on one page: ingest, processing, Graph,
// subscriptions. The page itself is workbook.json (queries over AppMetrics / AppRequests in the workspace,
// using the metric names of src/lib/telemetry/catalogue.ts).
param location string
param tags object
param logAnalyticsId string
param environmentName string

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // Workbook resource names must be GUIDs; stable per resource group so re-provisioning updates it.
  name: guid(resourceGroup().id, 'graph-notify-pipeline-health')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'graph-notify pipeline health (${environmentName})'
    category: 'workbook'
    sourceId: logAnalyticsId
    serializedData: string(loadJsonContent('workbook.json'))
  }
}

output id string = workbook.id
