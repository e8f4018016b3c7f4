// Alerts on the pipeline's custom metrics (src/lib/telemetry/catalogue.ts: names and attribute keys must
// match) and on the host's request telemetry. Log-search alerts on the Log Analytics workspace: custom
// OpenTelemetry metrics land in AppMetrics (Name, Sum, ItemCount, Min, Max, Properties), host requests in
// AppRequests. Each query returns a row only when something is wrong, so every rule is "rows > 0".
// What the JavaScript Azure Monitor exporter fills in per export (once a minute per instance): counters
// (delta temporality) and observable gauges send only a value, in Sum, with ItemCount 1 and no Min/Max;
// histograms send Sum, ItemCount, Min and Max. So counters are read with sum(Sum), gauges with min(Sum) or
// max(Sum) over their one-value rows, never Min or Max (test/contract/infra.test.ts holds this).
// What each alert means and what to do: docs/operations.md, "Alerts".
param namePrefix string
param actionGroupName string
param location string
param tags object
param logAnalyticsId string
param alertEmail string
param expiryAlertHours int
param shortLivedResourceKinds array

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'graphnotify'
    enabled: true
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// KQL list literal of the kinds the expiry alert ignores ("" when none, so `!in ("")` stays valid KQL).
var shortLivedKinds = empty(shortLivedResourceKinds) ? '""' : join(map(shortLivedResourceKinds, kind => '"${kind}"'), ', ')
// Multi-line Bicep strings do not interpolate: the expiry query gets its values by replace().
var expiryQueryTemplate = '''
AppMetrics
| where Name == "graph_notify.subscriptions.time_to_expiry"
| extend Kind = tostring(Properties["graph_notify.resource_kind"])
| where Kind !in (SHORT_LIVED_KINDS)
| summarize SoonestSeconds = min(Sum) by Kind
| where SoonestSeconds < THRESHOLD_SECONDS
'''
var expiryQuery = replace(replace(expiryQueryTemplate, 'SHORT_LIVED_KINDS', shortLivedKinds), 'THRESHOLD_SECONDS', string(expiryAlertHours * 3600))

var rules = [
  {
    key: 'poison-messages'
    displayName: 'graph-notify: messages in a poison queue'
    description: 'A queue message failed maxDequeueCount times and sits in <queue>-poison. Replay after fixing the cause: docs/operations.md#poison-messages.'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    // New poison messages (counter) or any still waiting (gauge, if the queue-depth observer is wired).
    query: '''
let poisoned = AppMetrics
  | where Name == "graph_notify.poison.messages"
  | summarize Value = sum(Sum) by Queue = tostring(Properties["graph_notify.queue"]);
let waiting = AppMetrics
  | where Name == "graph_notify.queue.depth" and tostring(Properties["graph_notify.queue.poison"]) == "true"
  | summarize Value = max(Sum) by Queue = tostring(Properties["graph_notify.queue"]);
union poisoned, waiting
| where Value > 0
'''
  }
  {
    key: 'renewal-failures'
    displayName: 'graph-notify: subscription renewals failing'
    description: 'The reconciler or lifecycle handling failed to renew, reauthorize or recreate a subscription. Without action the subscription expires and notifications stop: docs/operations.md#renewal-failures.'
    severity: 2
    frequency: 'PT15M'
    window: 'PT1H'
    query: '''
AppMetrics
| where Name == "graph_notify.renewals" and tostring(Properties["graph_notify.outcome"]) == "failed"
| summarize Failed = sum(Sum)
| where Failed > 0
'''
  }
  {
    key: 'subscription-expiring'
    displayName: 'graph-notify: a subscription expires within ${expiryAlertHours} hours'
    description: 'A live subscription is close to expiry although the reconciler should have renewed it long before: docs/operations.md#subscription-expiring.'
    severity: 1
    frequency: 'PT15M'
    window: 'PT30M'
    query: expiryQuery
  }
  {
    key: 'graph-throttling'
    displayName: 'graph-notify: sustained Graph throttling'
    description: 'More than 10 % of Graph requests were throttled (429, or 503/504 with Retry-After) over 30 minutes. Work is delayed, not lost: docs/operations.md#sustained-graph-throttling.'
    severity: 2
    frequency: 'PT10M'
    window: 'PT30M'
    // At least 50 throttled requests, so a handful of 429s on a quiet app does not page anyone.
    query: '''
AppMetrics
| where Name == "graph_notify.graph.requests"
| extend Throttled = tostring(Properties["graph_notify.graph.throttled"]) == "true"
| summarize Total = sum(Sum), ThrottledCount = sumif(Sum, Throttled)
| where Total > 0 and ThrottledCount >= 50 and ThrottledCount / Total > 0.1
'''
  }
  {
    key: 'ingest-5xx'
    displayName: 'graph-notify: ingest answering 5xx'
    description: 'The notification or lifecycle webhook answered 5xx (usually storage unavailable: 503). Graph retries for up to 4 hours, then drops: docs/operations.md#ingest-5xx.'
    severity: 1
    frequency: 'PT5M'
    window: 'PT5M'
    // Request telemetry is excluded from sampling in host.json, so these counts are exact.
    query: '''
AppRequests
| where Name in ("receiveNotifications", "receiveLifecycleNotifications")
| where toint(ResultCode) >= 500
| summarize Failures = count() by Name
| where Failures >= 5
'''
  }
]

resource alerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: '${namePrefix}-${rule.key}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [logAnalyticsId]
      evaluationFrequency: rule.frequency
      windowSize: rule.window
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
          }
        ]
      }
      // The custom metrics do not exist until the app first emits them.
      skipQueryValidation: true
      autoMitigate: true
      actions: { actionGroups: empty(alertEmail) ? [] : [actionGroup.id] }
    }
  }
]
