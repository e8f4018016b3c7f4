/**
 * Many Outlook subscriptions at once, for the renewal benchmark and the renewals-at-scale test: users are
 * added to a simulator tenant (Outlook allows 1,000 subscriptions per mailbox; 20 per user here, 3 kinds x 7
 * change-type sets), the subscriptions are created in Graph through the simulator's dev-only bulk seeding
 * (each checked as `POST /subscriptions` checks it, without the subscription API's throttling, which is what
 * the benchmark measures afterwards), and each is recorded in the table through the repository as a create
 * would record it, with Graph's expiry (Outlook's 7-day maximum less the margin). The table has one partition
 * per subscription, so rows cannot share a batch transaction: they are written concurrently instead.
 */
import type { SubscriptionRepository } from '../../src/lib/subscriptions';

const MINUTE = 60_000;
const PER_USER = 20;
const KINDS = ['messages', 'events', 'contacts'] as const;
const CHANGE_TYPES = [
  'created',
  'updated',
  'deleted',
  'created,updated',
  'created,deleted',
  'updated,deleted',
  'created,updated,deleted',
] as const;
/** Table writes in flight while seeding. */
const WRITERS = 32;

export interface FleetSimulator {
  mutate(
    tenantId: string,
    mutation: { kind: 'user'; op: 'create'; data: Record<string, unknown> },
  ): Record<string, unknown> | undefined;
  seedSubscriptions(
    tenantId: string,
    clientId: string,
    bodies: readonly unknown[],
  ): Promise<readonly { id: string; resource: string; changeType: string; expirationDateTime: string }[]>;
  readonly clock: { now(): Date };
}

export async function seedOutlookSubscriptions(
  sim: FleetSimulator,
  repository: SubscriptionRepository,
  fleet: {
    readonly tenantId: string;
    readonly appId: string;
    readonly count: number;
    readonly notificationUrl: string;
  },
): Promise<void> {
  const { tenantId, appId, count, notificationUrl } = fleet;
  const expirationDateTime = new Date(sim.clock.now().getTime() + (10_080 - 15) * MINUTE).toISOString();
  const bodies: {
    resource: string;
    changeType: string;
    notificationUrl: string;
    expirationDateTime: string;
    clientState: string;
  }[] = [];
  for (let user = 0; bodies.length < count; user += 1) {
    const created = sim.mutate(tenantId, {
      kind: 'user',
      op: 'create',
      data: { mailNickname: `fleet${user}`, displayName: `Fleet user ${user}` },
    });
    const userId = String(created?.id);
    for (let n = 0; n < PER_USER && bodies.length < count; n += 1) {
      bodies.push({
        resource: `users/${userId}/${KINDS[n % KINDS.length] ?? 'messages'}`,
        changeType: CHANGE_TYPES[Math.floor(n / KINDS.length)] ?? 'created',
        notificationUrl,
        expirationDateTime,
        clientState: `fleet-${tenantId.slice(-4)}-${bodies.length}`,
      });
    }
  }
  const created = await sim.seedSubscriptions(tenantId, appId, bodies);
  const at = sim.clock.now().toISOString();
  let next = 0;
  const writer = async (): Promise<void> => {
    for (let index = next++; index < created.length; index = next++) {
      const subscription = created[index];
      const body = bodies[index];
      if (subscription === undefined || body === undefined) continue;
      await repository.create({
        subscriptionId: subscription.id,
        tenantId,
        resource: subscription.resource,
        changeType: subscription.changeType,
        clientState: body.clientState,
        notificationUrl,
        lifecycleNotificationUrl: undefined,
        expirationDateTime: new Date(subscription.expirationDateTime).toISOString(),
        includeResourceData: false,
        encryptionCertificateId: undefined,
        status: 'active',
        lastRenewedAt: undefined,
        lastError: undefined,
        createdAt: at,
        updatedAt: at,
        origin: 'operator',
      });
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
}
