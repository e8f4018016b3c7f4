import { describe, expect, it } from 'vitest';
import { followUpEnvelope, type NotificationEnvelope } from '../../../src/lib/notifications';

const basic = { subscriptionId: 'sub-1', tenantId: 'tenant-1', changeType: 'updated', resource: 'users/u-1' };
const rich = { ...basic, encryptedContent: { data: 'ZGF0YQ==' } };

function original(overrides: Partial<NotificationEnvelope> = {}): NotificationEnvelope {
  return {
    v: 1,
    kind: 'notifications',
    id: 'msg-1',
    receivedAt: '2026-01-01T00:00:00.000Z',
    items: [basic, rich],
    ...overrides,
  };
}

describe('followUpEnvelope', () => {
  it('keeps the kind and the receipt time, and derives its id from the original', () => {
    const next = followUpEnvelope(original({ kind: 'lifecycle' }), [basic], { idSuffix: 'abc' });

    expect(next).toEqual({
      v: 1,
      kind: 'lifecycle',
      id: 'msg-1~abc',
      receivedAt: '2026-01-01T00:00:00.000Z',
      items: [basic],
    });
  });

  it('carries the validation tokens only when a rich item travels with it', () => {
    const withTokens = original({ validationTokens: ['token'] });

    expect(followUpEnvelope(withTokens, [rich], { idSuffix: 'x' }).validationTokens).toEqual(['token']);
    expect(followUpEnvelope(withTokens, [basic], { idSuffix: 'x' })).not.toHaveProperty('validationTokens');
  });

  it('marks the items as waited when asked', () => {
    expect(followUpEnvelope(original(), [basic], { idSuffix: 'waited', waited: true })).toMatchObject({ waited: true });
    expect(followUpEnvelope(original({ waited: true }), [basic], { idSuffix: 'x' })).not.toHaveProperty('waited');
  });
  it('keeps the Event Hubs mark, so rich items held or put back still need no tokens, and never invents one', () => {
    const byHub = original({ authenticatedRoute: 'eventHubs' });

    expect(followUpEnvelope(byHub, [rich], { idSuffix: 'x' })).toMatchObject({ authenticatedRoute: 'eventHubs' });
    expect(followUpEnvelope(original(), [rich], { idSuffix: 'x' })).not.toHaveProperty('authenticatedRoute');
  });
});
