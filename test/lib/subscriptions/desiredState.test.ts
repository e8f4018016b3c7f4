import { describe, expect, it } from 'vitest';
import { parseDesiredState } from '../../../src/lib/subscriptions/desiredState';
import { DesiredStateInvalid } from '../../../src/lib/subscriptions';
import { subscriptionSettings } from '../../support/subscriptionSettings';

const NOW = new Date('2026-05-01T10:00:00Z');
const settings = subscriptionSettings;

describe('desired-state file', () => {
  it('carries initialSync and includeResourceData per entry', () => {
    const text = JSON.stringify({
      subscriptions: [
        { resource: 'users', changeType: 'updated', initialSync: true },
        { resource: 'users/u1/messages?$select=subject,from', changeType: 'created', includeResourceData: true },
      ],
    });

    const requests = parseDesiredState(text, settings, NOW);

    expect(requests.map((request) => [request.resource, request.initialSync, request.includeResourceData])).toEqual([
      ['users', true, undefined],
      ['users/u1/messages?$select=subject,from', undefined, true],
    ]);
  });

  it('refuses the whole file when a rich Outlook entry has no $select or a chat entry asks for initialSync', () => {
    const rich = JSON.stringify([{ resource: 'users/u1/events', changeType: 'created', includeResourceData: true }]);
    const chat = JSON.stringify([{ resource: 'chats/19:abc/messages', changeType: 'created', initialSync: true }]);

    expect(() => parseDesiredState(rich, settings, NOW)).toThrow(DesiredStateInvalid);
    expect(() => parseDesiredState(rich, settings, NOW)).toThrow(
      /entry 0 \(users\/u1\/events\): includeResourceData on event subscriptions needs \$select/,
    );
    expect(() => parseDesiredState(chat, settings, NOW)).toThrow(/Rule initial-sync/);
  });

  it('refuses the whole file when an entry would have no lifecycle URL, and takes the per-entry opt-out', () => {
    const withoutLifecycle = { ...settings, lifecycleNotificationUrl: undefined };
    const plain = JSON.stringify([{ resource: 'users', changeType: 'updated' }]);
    const optedOut = JSON.stringify([{ resource: 'users', changeType: 'updated', withoutLifecycleUrl: true }]);

    expect(() => parseDesiredState(plain, withoutLifecycle, NOW)).toThrow(/entry 0 \(users\): Rule lifecycle-url: /);
    expect(parseDesiredState(optedOut, withoutLifecycle, NOW)).toEqual([
      expect.objectContaining({ resource: 'users', withoutLifecycleUrl: true }),
    ]);
    expect(parseDesiredState(plain, settings, NOW)).toHaveLength(1);
  });
});
