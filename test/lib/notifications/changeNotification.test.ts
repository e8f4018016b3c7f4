import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNotificationItem } from '../../../src/lib/notifications';
import { baseItemSchema } from '../../../src/lib/notifications/changeNotification';
import {
  driveRootNotification,
  lifecycleNotification,
  outlookMessageNotification,
  subscriptionRecord,
  TENANT_ID,
  userNotification,
} from '../../support/notificationFactories';

const subscription = subscriptionRecord();

describe('parseNotificationItem', () => {
  it('parses an Outlook message notification and keeps everything but clientState', () => {
    const raw = outlookMessageNotification(subscription, 'AAMk=');

    const result = parseNotificationItem(raw);

    expect(result).toMatchObject({
      ok: true,
      item: { kind: 'change', changeType: 'created', clientState: subscription.clientState, tenantId: TENANT_ID },
    });
    if (!result.ok) throw new Error('unreachable');
    expect(result.item.payload).not.toHaveProperty('clientState');
    expect(result.item.payload).toMatchObject({
      resource: raw.resource,
      resourceData: raw.resourceData,
      id: 'lsgTZMr9KwAAA',
    });
  });

  it('accepts a driveItem notification whose resourceData is null', () => {
    expect(parseNotificationItem(driveRootNotification(subscription))).toMatchObject({
      ok: true,
      item: { kind: 'change', resource: 'drives/b!drive-1/root/' },
    });
  });

  it('tolerates unknown properties and keeps them for processing', () => {
    const result = parseNotificationItem({
      ...userNotification(subscription),
      sequenceNumber: 7,
      futureField: { a: 1 },
    });

    expect(result.ok && result.item.payload).toMatchObject({ sequenceNumber: 7, futureField: { a: 1 } });
  });

  it('reads the tenant from organizationId when tenantId is absent', () => {
    const result = parseNotificationItem(lifecycleNotification(subscription, 'missed', 'organizationId'));

    expect(result).toMatchObject({
      ok: true,
      item: { kind: 'lifecycle', lifecycleEvent: 'missed', tenantId: TENANT_ID },
    });
    expect(result.ok && result.item.payload.tenantId).toBe(TENANT_ID);
  });

  it('keeps lifecycle events it does not know yet', () => {
    expect(parseNotificationItem(lifecycleNotification(subscription, 'somethingNew'))).toMatchObject({
      ok: true,
      item: { lifecycleEvent: 'somethingNew' },
    });
  });

  it.each([
    ['no subscriptionId', { ...userNotification(subscription), subscriptionId: undefined }, /^subscriptionId: /],
    ['a numeric subscriptionId', { ...userNotification(subscription), subscriptionId: 42 }, /^subscriptionId: /],
    ['no tenant', { ...userNotification(subscription), tenantId: undefined }, /^tenantId: required/],
    [
      'both changeType and lifecycleEvent',
      { ...userNotification(subscription), lifecycleEvent: 'missed' },
      /exclusive/,
    ],
    [
      'neither changeType nor lifecycleEvent',
      { ...userNotification(subscription), changeType: undefined },
      /one is required/,
    ],
    ['a change without resource', { ...userNotification(subscription), resource: undefined }, /^resource: required/],
    ['an array', [], /^item: /],
    ['a string', 'hello', /^item: /],
    [
      'encryptedContent without dataKey',
      {
        ...userNotification(subscription),
        encryptedContent: { data: 'x', dataSignature: 'y', encryptionCertificateId: 'c' },
      },
      /^encryptedContent\.dataKey: /,
    ],
  ])('rejects %s with a problem naming the field', (_case, raw, problem) => {
    const result = parseNotificationItem(raw);

    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toMatch(problem);
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record({
            subscriptionId: fc.anything(),
            changeType: fc.anything(),
            tenantId: fc.anything(),
            resource: fc.anything(),
          }),
        ),
        (raw) => {
          const result = parseNotificationItem(raw);
          expect(typeof result.ok).toBe('boolean');
        },
      ),
      { numRuns: 500 },
    );
  });

  describe('the hand check beside the schema', () => {
    const anyValue = fc.oneof(
      fc.string(),
      fc.constant(null),
      fc.constant(undefined),
      fc.integer(),
      fc.boolean(),
      fc.array(fc.string(), { maxLength: 2 }),
      fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
    );
    /** Mostly a value the rule accepts (lengths at the bounds), sometimes one just past a bound, sometimes anything. */
    const field = (min: number, max: number, nullable = true) =>
      fc.oneof(
        {
          weight: 30,
          arbitrary: fc.oneof(
            ...(nullable ? [fc.constant(null)] : []),
            fc.constant(undefined),
            fc.constantFrom(min, max, Math.min(max, 40)).map((n) => 'x'.repeat(n)),
          ),
        },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom(min - 1, max + 1)
            .filter((n) => n >= 0)
            .map((n) => 'x'.repeat(n)),
        },
        { weight: 1, arbitrary: anyValue },
      );
    const unknownKeys = fc.dictionary(
      fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', '0', '7')),
      anyValue,
      { maxKeys: 3 },
    );
    const encryptedContent = fc.record(
      {
        data: field(1, 50, false),
        dataKey: field(1, 50, false),
        dataSignature: field(1, 50, false),
        encryptionCertificateId: field(1, 1024, false),
        encryptionCertificateThumbprint: field(0, 1024, false),
        extra: anyValue,
      },
      { requiredKeys: ['data', 'dataKey', 'dataSignature', 'encryptionCertificateId'] },
    );
    const item = fc
      .tuple(
        fc.record(
          {
            id: field(0, 1024),
            subscriptionId: field(1, 1024, false),
            subscriptionExpirationDateTime: field(0, 64),
            clientState: field(0, 1024),
            resource: field(0, 4096),
            tenantId: field(1, 1024),
            organizationId: field(1, 1024),
            resourceData: fc.oneof(fc.constant(null), unknownKeys, anyValue),
            encryptedContent: fc.oneof(fc.constant(null), { weight: 3, arbitrary: encryptedContent }, anyValue),
            changeType: field(1, 64),
            lifecycleEvent: field(1, 64),
          },
          { requiredKeys: ['subscriptionId'] },
        ),
        unknownKeys,
        fc.boolean(),
      )
      // Unknown properties before or after the known ones, and `__proto__` as JSON.parse makes it: an own property.
      .map(
        ([known, unknown, unknownFirst]) =>
          JSON.parse(JSON.stringify(unknownFirst ? { ...unknown, ...known } : { ...known, ...unknown })) as unknown,
      );
    const withUndefined = fc.record(
      { id: fc.constant(undefined), subscriptionId: fc.constant('s'), clientState: fc.constant(undefined) },
      { requiredKeys: ['subscriptionId'] },
    );

    /** The parse as the schema alone makes it: its first issue, or its data less clientState with the tenant resolved. */
    function bySchema(raw: unknown): { problem: string } | { payload: Record<string, unknown>; clientState: unknown } {
      const schema = baseItemSchema().safeParse(raw);
      if (!schema.success) {
        const issue = schema.error.issues[0];
        const path = issue === undefined || issue.path.length === 0 ? 'item' : issue.path.join('.');
        return { problem: `${path}: ${issue?.message ?? 'invalid'}` };
      }
      const payload: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(schema.data)) if (key !== 'clientState') payload[key] = value;
      payload.tenantId = schema.data.tenantId ?? schema.data.organizationId;
      return { payload, clientState: schema.data.clientState ?? undefined };
    }

    it('accepts exactly what the zod schema accepts, and copies the same payload, property order included', () => {
      fc.assert(
        fc.property(fc.oneof({ weight: 8, arbitrary: item }, withUndefined, fc.anything()), (raw) => {
          const expected = bySchema(raw);
          const parsed = parseNotificationItem(raw);

          if ('problem' in expected) {
            expect(parsed).toStrictEqual({ ok: false, problem: expected.problem });
            return;
          }
          // The schema took it; the parser may still refuse it for what the schema does not check (tenant, kind).
          if (!parsed.ok) {
            expect(parsed.problem).toMatch(
              /^(tenantId: required|changeType (or|and) lifecycleEvent|resource: required)/,
            );
            return;
          }
          expect(parsed.item.payload).toStrictEqual(expected.payload);
          expect(JSON.stringify(parsed.item.payload)).toBe(JSON.stringify(expected.payload));
          expect(parsed.item.clientState).toBe(expected.clientState);
        }),
        { numRuns: 3000 },
      );
    });
  });
});
