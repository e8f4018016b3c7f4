/**
 * Many Outlook subscriptions at once, for the renewal benchmark and the renewals-at-scale test: users are
 * added to a simulator tenant (Outlook allows 1,000 subscriptions per mailbox; 20 per user here, 3 kinds x 7
 * change-type sets), each subscription is created in Graph over the app's Graph client, waiting out 429s on
 * virtual time (and sending again after a transient failure), and recorded in the table as a create would, with Outlook's 7-day maximum less the margin.
 */
import { GraphThrottled, isTransientGraphError, type GraphClient } from '../../src/lib/graph';
import type { SubscriptionRepository } from '../../src/lib/subscriptions';
import { createGraphSubscription } from '../../src/lib/subscriptions/graphSubscriptionApi';

const MINUTE = 60_000;
const PER_USER = 20;
const KINDS = ['messages', 'events', 'contacts'] as const;
const CHANGE_TYPES = ['created', 'updated', 'deleted', 'created,updated', 'created,deleted', 'updated,deleted', 'created,updated,deleted'] as const;

export interface FleetSimulator {
  mutate(tenantId: string, mutation: { kind: 'user'; op: 'create'; data: Record<string, unknown> }): Record<string, unknown> | undefined;
  readonly clock: { now(): Date; advanceTo(instant: number): Promise<void> };
}

export async function seedOutlookSubscriptions(
  sim: FleetSimulator,
  graph: Pick<GraphClient, 'send'>,
  repository: SubscriptionRepository,
  tenantId: string,
  count: number,
  notificationUrl: string,
): Promise<void> {
  const specs: { resource: string; changeType: string }[] = [];
  for (let user = 0; specs.length < count; user += 1) {
    const created = sim.mutate(tenantId, { kind: 'user', op: 'create', data: { mailNickname: `fleet${user}`, displayName: `Fleet user ${user}` } });
    const userId = String(created?.id);
    for (let n = 0; n < PER_USER && specs.length < count; n += 1) {
      specs.push({ resource: `users/${userId}/${KINDS[n % KINDS.length] ?? 'messages'}`, changeType: CHANGE_TYPES[Math.floor(n / KINDS.length)] ?? 'created' });
    }
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < specs.length) {
      const index = next;
      next += 1;
      const spec = specs[index];
      if (spec === undefined) continue;
      const clientState = `fleet-${tenantId.slice(-4)}-${index}`;
      const expirationDateTime = new Date(sim.clock.now().getTime() + (10_080 - 15) * MINUTE).toISOString();
      for (let failures = 0; ; ) {
        try {
          const created = await createGraphSubscription(graph, tenantId, {
            ...spec,
            notificationUrl,
            lifecycleNotificationUrl: undefined,
            expirationDateTime,
            clientState,
            includeResourceData: false,
            encryption: undefined,
          });
          const at = sim.clock.now().toISOString();
          await repository.create({
            subscriptionId: created.id,
            tenantId,
            resource: spec.resource,
            changeType: spec.changeType,
            clientState,
            notificationUrl,
            lifecycleNotificationUrl: undefined,
            expirationDateTime: new Date(created.expirationDateTime).toISOString(),
            includeResourceData: false,
            encryptionCertificateId: undefined,
            status: 'active',
            lastRenewedAt: undefined,
            lastError: undefined,
            createdAt: at,
            updatedAt: at,
            origin: 'operator',
          });
          break;
        } catch (error) {
          // 429: wait on virtual time; a reset keep-alive connection on a loaded machine: send again.
          if (error instanceof GraphThrottled) await sim.clock.advanceTo(sim.clock.now().getTime() + error.retryAfterMs);
          else if (!isTransientGraphError(error) || (failures += 1) > 5) throw error;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}
