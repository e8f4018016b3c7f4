/**
 * Service limits and fixed identifiers of Microsoft Graph that the simulator reproduces. Every number
 * names the section of docs/graph-protocol.md (the "reference") it comes from,
 * so a change in the documentation maps to one line here. Where the reference records a disagreement
 * (§13), the newest documented value is the constant and the older one sits beside it for options.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** The "Microsoft Graph Change Tracking" app: azp/appid of validation tokens (docs/graph-protocol.md §0, §5.4). */
export const CHANGE_TRACKING_APP_ID = '0bf30f3b-4a52-48df-9a82-234910c4a086';

/** The Graph resource id, accepted as an access-token audience beside the URL form. */
export const GRAPH_RESOURCE_APP_ID = '00000003-0000-0000-c000-000000000000';
export const GRAPH_AUDIENCE = 'https://graph.microsoft.com';

/** Maximum subscription lifetime in minutes per resource kind (docs/graph-protocol.md §1.3, 2026 table). */
export const MAX_EXPIRATION_MINUTES = {
  user: 41_760,
  group: 41_760,
  message: 10_080,
  event: 10_080,
  contact: 10_080,
  driveRoot: 42_300,
  chat: 4_320,
  chatMessage: 4_320,
  team: 4_320,
  channel: 4_320,
  teamsMember: 4_320,
  presence: 60,
  list: 42_300,
  todoTask: 4_230,
  groupConversation: 4_230,
  groupEvent: 4_230,
  callRecord: 4_230,
  // Teams meetings and Copilot: 3 days; security alerts under 30 days; print 4,230 minutes (§1.3).
  callTranscript: 4_320,
  callRecording: 4_320,
  onlineMeeting: 4_320,
  aiInteraction: 4_320,
  securityAlert: 43_200,
  print: 4_230,
  // Teams Shifts: 6 hours (§1.3).
  schedule: 360,
  // Teams approvals: 43,200 minutes (§1.3).
  approval: 43_200,
  // Teams virtual events: a day ("Get change notifications for Microsoft Teams virtual event updates").
  virtualEvent: 1_440,
  // A resource the simulator does not know (acceptUnknownResources): the most common maximum.
  unknownResource: 4_230,
} as const;

/** Outlook maximum in the older documents and the 2018 error message (docs/graph-protocol.md §13.7). */
export const OUTLOOK_MAX_EXPIRATION_MINUTES_LEGACY = 4_230;

/** Outlook subscriptions with includeResourceData live at most one day (docs/graph-protocol.md §1.3, §5.1). */
export const OUTLOOK_RICH_MAX_EXPIRATION_MINUTES = 1_440;

/** Expiry under now+45 min is silently raised to now+45 min (docs/graph-protocol.md §1.1, §1.3). */
export const MIN_EXPIRATION_MINUTES = 45;

/** Teams resources need a lifecycleNotificationUrl when the expiry is more than one hour away (docs/graph-protocol.md §1.1). */
export const TEAMS_LIFECYCLE_URL_REQUIRED_AFTER_MS = HOUR_MS;

/**
 * clientState: 128 per the v1.0 subscription resource page, 255 per the beta and changeNotification pages
 * (docs/graph-protocol.md §13.1). The strict 128 is the default; 255 is the named opt-out.
 */
export const CLIENT_STATE_MAX_LENGTH = 128;
export const CLIENT_STATE_MAX_LENGTH_BETA_PAGE = 255;

/** encryptionCertificateId is an app-chosen label of at most 128 characters (docs/graph-protocol.md §5.1). */
export const ENCRYPTION_CERTIFICATE_ID_MAX_LENGTH = 128;

/** The receiver must answer the validation request within 10 s, not configurable in Graph (docs/graph-protocol.md §2). */
export const VALIDATION_TIMEOUT_MS = 10_000;

/** Delivery: 2xx within 3 s on the first attempt, 10 s on retries, retried for up to 4 h (docs/graph-protocol.md §3.6, 2026). */
export const FIRST_ATTEMPT_TIMEOUT_MS = 3_000;
export const RETRY_ATTEMPT_TIMEOUT_MS = 10_000;
export const RETRY_WINDOW_MS = 4 * HOUR_MS;

/**
 * No backoff schedule is published (docs/graph-protocol.md §3.6, §13.4). This is the reference's suggested default: +0, +10 s,
 * +30 s, +1 min, +2 min, +5 min, +10 min, then every 10 min until the 4-hour window closes.
 */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  10_000,
  30_000,
  MINUTE_MS,
  2 * MINUTE_MS,
  5 * MINUTE_MS,
  10 * MINUTE_MS,
];

/**
 * Endpoint throttling per notification URL, judged per notification delivery (docs/graph-protocol.md §3.7, 2026 rules of
 * the webhooks delivery page, which name no minimum volume: one slow reply to a quiet endpoint is already
 * more than 10 %). `minSamples: 0` is that worst case.
 */
export const ENDPOINT_THROTTLE = {
  windowMs: 10 * MINUTE_MS,
  slowRatio: 0.1,
  dropRatio: 0.15,
  slowDelayMs: 10 * MINUTE_MS,
  dropDurationMs: 10 * MINUTE_MS,
  minSamples: 0,
} as const;

/** The 2023 rule computed the slow share only after the endpoint had received 100 notifications (docs/graph-protocol.md §3.7). */
export const ENDPOINT_THROTTLE_MIN_SAMPLES_2023 = 100;

/**
 * `missed` is sent for some dropped Outlook notifications, never promised for all of them (lifecycle page,
 * docs/graph-protocol.md §4.1). The simulator sends it for half of the drops by default; an option sets the probability.
 */
export const MISSED_ON_DROP_PROBABILITY = 0.5;

/** Graph sends at most one `missed` per subscription in this window (simulator choice; the docs give no rate). */
export const MISSED_MIN_INTERVAL_MS = 10 * MINUTE_MS;

/** The ~2024 text delayed slow endpoints by 10 seconds instead of 10 minutes (docs/graph-protocol.md §13.3). */
export const ENDPOINT_SLOW_DELAY_MS_2024 = 10_000;

/** The access token behind a subscription is typically valid about one hour (docs/graph-protocol.md §3.6, §12). */
export const SUBSCRIPTION_ACCESS_TOKEN_LIFETIME_MS = HOUR_MS;

/** reauthorizationRequired: first challenge 3 h before the token/subscription expiry, then every 15 min (docs/graph-protocol.md §4.3). */
export const REAUTHORIZATION_FIRST_LEAD_MS = 3 * HOUR_MS;
export const REAUTHORIZATION_INTERVAL_MS = 15 * MINUTE_MS;

/** Never reauthorize and PATCH the same subscription within 10 minutes (docs/graph-protocol.md §1.5). */
export const REAUTHORIZE_RENEW_CONFLICT_WINDOW_MS = 10 * MINUTE_MS;

/** Quotas that answer 403 when exceeded (docs/graph-protocol.md §1.4). */
export const SUBSCRIPTION_QUOTAS = {
  directoryPerAppAndTenant: 100,
  directoryPerTenant: 1_000,
  directoryPerApp: 50_000,
  outlookPerMailbox: 1_000,
  teamsPerTenant: 10_000,
  chatMessagePerAppAndChat: 1,
  driveRootPerAppAndDrive: Number.POSITIVE_INFINITY,
} as const;

/** Validation tokens in the documented example live 86,700 s (docs/graph-protocol.md §5.4). */
export const VALIDATION_TOKEN_LIFETIME_SECONDS = 86_700;

/** Access tokens from the v2 token endpoint: AAD answers expires_in 3599 for client credentials. */
export const ACCESS_TOKEN_LIFETIME_SECONDS = 3_599;

/** JSON batching: at most 20 requests (docs/graph-protocol.md §7). */
export const BATCH_MAX_REQUESTS = 20;

/** Outlook allows 4 concurrent requests per app and mailbox (docs/graph-protocol.md §8.2). */
export const OUTLOOK_MAX_CONCURRENT_REQUESTS_PER_MAILBOX = 4;

/** Delta tokens of directory objects live 7 days; Outlook's are cache-dependent, we use the same (docs/graph-protocol.md §6.1). */
export const DELTA_TOKEN_LIFETIME_MS = 7 * DAY_MS;

/** Page sizes: not documented as fixed numbers; these are the simulator's defaults (overridable by Prefer: odata.maxpagesize). */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 999;

/** Channel message delta: at most 50 messages a page, `$top` up to that (docs/graph-protocol.md §6.2). */
export const CHANNEL_MESSAGE_DELTA_MAX_PAGE_SIZE = 50;
/** Channel message delta lists the messages of the last eight months only (docs/graph-protocol.md §6.2). */
export const CHANNEL_MESSAGE_DELTA_MONTHS = 8;

export const TIME = { MINUTE_MS, HOUR_MS, DAY_MS } as const;

/** Throttling of the subscription API itself, per 20 s (docs/graph-protocol.md §1.7, newest table). */
export const SUBSCRIPTION_API_LIMITS = {
  windowMs: 20_000,
  perAppAndTenant: { write: 500, reauthorize: 1_000, get: 500, list: 25 },
  perApp: { write: 2_000, reauthorize: 4_000, get: 2_000, list: 40 },
} as const;

/**
 * At-least-once delivery (webhooks delivery page: "duplicate notifications", change notifications "aren't
 * guaranteed to arrive in order"): the default share of change notifications delivered twice, and the
 * window within which their order is shuffled. Microsoft gives no figures; these are the simulator's.
 */
export const DUPLICATE_DELIVERY_RATIO = 0.05;
export const REORDER_WINDOW_MS = 10_000;

/**
 * Latency between a change and its notification, per resource ("subscription resource type", latency table;
 * docs/graph-protocol.md §3.8). Events are Outlook calendar items (the "calendar" row). Users and groups
 * have no published figure: the simulator uses Outlook's (and for group conversations and group events).
 */
export const NOTIFICATION_LATENCY_MS = {
  user: { averageMs: MINUTE_MS, maxMs: 3 * MINUTE_MS },
  group: { averageMs: MINUTE_MS, maxMs: 3 * MINUTE_MS },
  message: { averageMs: MINUTE_MS, maxMs: 3 * MINUTE_MS },
  event: { averageMs: MINUTE_MS, maxMs: 3 * MINUTE_MS },
  contact: { averageMs: MINUTE_MS, maxMs: 3 * MINUTE_MS },
  driveRoot: { averageMs: MINUTE_MS, maxMs: 6 * HOUR_MS },
  chat: { averageMs: 10_000, maxMs: HOUR_MS },
  chatMessage: { averageMs: 10_000, maxMs: MINUTE_MS },
  team: { averageMs: 10_000, maxMs: HOUR_MS },
  channel: { averageMs: 10_000, maxMs: HOUR_MS },
  teamsMember: { averageMs: 10_000, maxMs: HOUR_MS },
  presence: { averageMs: 10_000, maxMs: MINUTE_MS },
  list: { averageMs: MINUTE_MS, maxMs: 6 * HOUR_MS },
  todoTask: { averageMs: 2 * MINUTE_MS, maxMs: 15 * MINUTE_MS },
  // Group conversations and group events have no published figure: Outlook's, as for users and groups.
  groupConversation: { averageMs: MINUTE_MS, maxMs: 3 * MINUTE_MS },
  groupEvent: { averageMs: MINUTE_MS, maxMs: 3 * MINUTE_MS },
  callRecord: { averageMs: 30 * MINUTE_MS, maxMs: 150 * MINUTE_MS },
  callTranscript: { averageMs: 10_000, maxMs: HOUR_MS },
  callRecording: { averageMs: 10_000, maxMs: HOUR_MS },
  onlineMeeting: { averageMs: 10_000, maxMs: MINUTE_MS },
  aiInteraction: { averageMs: 10_000, maxMs: HOUR_MS },
  securityAlert: { averageMs: 3 * MINUTE_MS, maxMs: 5 * MINUTE_MS },
  print: { averageMs: MINUTE_MS, maxMs: 5 * MINUTE_MS },
  schedule: { averageMs: MINUTE_MS, maxMs: HOUR_MS },
  approval: { averageMs: 10_000, maxMs: 40_000 },
  // Virtual events have no published figure: the other Teams resources' (§3.8).
  virtualEvent: { averageMs: 10_000, maxMs: HOUR_MS },
  unknownResource: { averageMs: MINUTE_MS, maxMs: 3 * MINUTE_MS },
} as const;

/** Share of notifications that take the late tail (between the average and the maximum) of their latency. */
export const LATE_NOTIFICATION_SHARE = 0.1;

/**
 * After a PATCH rotates a subscription's encryption certificate, "the old certificate might still be used for
 * encryption for some time" (rich-notifications page). Microsoft gives no figure; the simulator keeps the old
 * one for an hour.
 */
export const OLD_CERTIFICATE_OVERLAP_MS = HOUR_MS;

/**
 * Per-service read limits ("Microsoft Graph service-specific throttling limits", docs/graph-protocol.md §8.2),
 * each a number of requests in a sliding window, per scope:
 * - Outlook: 10,000 requests per 10 minutes per app and mailbox;
 * - identity (users, groups): the smallest tenant's 3,500 resource units per 10 s per app and tenant, one unit per request;
 * - OneDrive/SharePoint: the smallest licence band's 1,200 resource units per minute per app and tenant, one per request;
 * - Teams chat messages: 1 request per second per chat, 20 per second per app and tenant.
 */
export const READ_LIMITS = {
  outlookPerMailbox: { limit: 10_000, windowMs: 10 * MINUTE_MS },
  directoryPerAppAndTenant: { limit: 3_500, windowMs: 10_000 },
  drivePerAppAndTenant: { limit: 1_200, windowMs: MINUTE_MS },
  chatMessagesPerChat: { limit: 1, windowMs: 1_000 },
  chatMessagesPerAppAndTenant: { limit: 20, windowMs: 1_000 },
} as const;
