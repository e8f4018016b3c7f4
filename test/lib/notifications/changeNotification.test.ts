import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNotificationItem } from '../../../src/lib/notifications';
import { driveRootNotification, lifecycleNotification, outlookMessageNotification, subscriptionRecord, TENANT_ID, userNotification } from '../../support/notificationFactories';

const subscription = subscriptionRecord();

describe('parseNotificationItem', () => {
  it('parses an Outlook message notification and keeps everything but clientState', () => {
    const raw = outlookMessageNotification(subscription, 'AAMk=');

    const result = parseNotificationItem(raw);

    expect(result).toMatchObject({ ok: true, item: { kind: 'change', changeType: 'created', clientState: subscription.clientState, tenantId: TENANT_ID } });
    if (!result.ok) throw new Error('unreachable');
    expect(result.item.payload).not.toHaveProperty('clientState');
    expect(result.item.payload).toMatchObject({ resource: raw.resource, resourceData: raw.resourceData, id: 'lsgTZMr9KwAAA' });
  });

  it('accepts a driveItem notification whose resourceData is null', () => {
    expect(parseNotificationItem(driveRootNotification(subscription))).toMatchObject({ ok: true, item: { kind: 'change', resource: 'drives/b!drive-1/root/' } });
  });

  it('tolerates unknown properties and keeps them for processing', () => {
    const result = parseNotificationItem({ ...userNotification(subscription), sequenceNumber: 7, futureField: { a: 1 } });

    expect(result.ok && result.item.payload).toMatchObject({ sequenceNumber: 7, futureField: { a: 1 } });
  });

  it('reads the tenant from organizationId when tenantId is absent', () => {
    const result = parseNotificationItem(lifecycleNotification(subscription, 'missed', 'organizationId'));

    expect(result).toMatchObject({ ok: true, item: { kind: 'lifecycle', lifecycleEvent: 'missed', tenantId: TENANT_ID } });
    expect(result.ok && result.item.payload.tenantId).toBe(TENANT_ID);
  });

  it('keeps lifecycle events it does not know yet', () => {
    expect(parseNotificationItem(lifecycleNotification(subscription, 'somethingNew'))).toMatchObject({ ok: true, item: { lifecycleEvent: 'somethingNew' } });
  });

  it.each([
    ['no subscriptionId', { ...userNotification(subscription), subscriptionId: undefined }, /^subscriptionId: /],
    ['a numeric subscriptionId', { ...userNotification(subscription), subscriptionId: 42 }, /^subscriptionId: /],
    ['no tenant', { ...userNotification(subscription), tenantId: undefined }, /^tenantId: required/],
    ['both changeType and lifecycleEvent', { ...userNotification(subscription), lifecycleEvent: 'missed' }, /exclusive/],
    ['neither changeType nor lifecycleEvent', { ...userNotification(subscription), changeType: undefined }, /one is required/],
    ['a change without resource', { ...userNotification(subscription), resource: undefined }, /^resource: required/],
    ['an array', [], /^item: /],
    ['a string', 'hello', /^item: /],
    ['encryptedContent without dataKey', { ...userNotification(subscription), encryptedContent: { data: 'x', dataSignature: 'y', encryptionCertificateId: 'c' } }, /^encryptedContent\.dataKey: /],
  ])('rejects %s with a problem naming the field', (_case, raw, problem) => {
    const result = parseNotificationItem(raw);

    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toMatch(problem);
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.record({ subscriptionId: fc.anything(), changeType: fc.anything(), tenantId: fc.anything(), resource: fc.anything() })), (raw) => {
        const result = parseNotificationItem(raw);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });
});
