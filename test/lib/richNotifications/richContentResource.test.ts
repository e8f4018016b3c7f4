import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { richContentNaming } from '../../../src/lib/richNotifications';

const USER = '622eaaff-0683-4862-9de4-f2ec83c2bd98';
const MESSAGE = 'AAMkAGUwNjQ4ZjIxAAA=';

describe('richContentNaming', () => {
  it('finds content naming the resource by id and @odata.id, in any of the spellings Graph uses', () => {
    const resources = [
      `Users/${USER}/Messages/${MESSAGE}`,
      `Users('${USER}')/messages('${MESSAGE}')`,
      `users/${USER.toUpperCase()}/messages/${MESSAGE}`,
    ];
    for (const resource of resources) {
      expect(richContentNaming({ id: MESSAGE, subject: 's' }, resource), resource).toBe('same');
      expect(
        richContentNaming({ id: MESSAGE, '@odata.id': `Users('${USER}')/Messages('${MESSAGE}')` }, resource),
        resource,
      ).toBe('same');
      expect(
        richContentNaming(
          { '@odata.id': `https://graph.microsoft.com/v1.0/users/${USER}/messages/${MESSAGE}` },
          resource,
        ),
        resource,
      ).toBe('same');
    }
    expect(richContentNaming({ id: '1612289765949' }, "chats('19:abc@thread.v2')/messages('1612289765949')")).toBe(
      'same',
    );
  });

  it('finds content naming another resource: another id, another kind, another owner, or a non-string', () => {
    const resource = `Users/${USER}/Messages/${MESSAGE}`;
    expect(richContentNaming({ id: 'AAMkOther=' }, resource)).toBe('other');
    expect(richContentNaming({ id: MESSAGE.toLowerCase() }, resource)).toBe('other');
    expect(richContentNaming({ id: USER }, `Users/${USER}`)).toBe('same');
    expect(richContentNaming({ id: MESSAGE }, `Users/${USER}`)).toBe('other');
    expect(richContentNaming({ id: MESSAGE, '@odata.id': `Users/${USER}/Events/${MESSAGE}` }, resource)).toBe('other');
    expect(
      richContentNaming(
        { id: MESSAGE, '@odata.id': `Users/11111111-0683-4862-9de4-f2ec83c2bd98/Messages/${MESSAGE}` },
        resource,
      ),
    ).toBe('other');
    expect(richContentNaming({ id: 42 }, resource)).toBe('other');
    expect(richContentNaming({ id: MESSAGE }, `Users/${USER}/Messages`)).toBe('other');
  });

  it("finds a meeting call event naming its meeting by the join URL filter, and not another meeting's", () => {
    const meeting = (token: string): string =>
      `communications/onlineMeetings?$filter=joinWebUrl+eq+'https://teams.microsoft.com/l/meetup-join/19%3ameeting_${token}%40thread.v2/0'`;
    const content = { '@odata.id': meeting('a'), id: meeting('a'), eventType: 'Microsoft.Communication.CallStarted' };

    expect(richContentNaming(content, meeting('a'))).toBe('same');
    expect(richContentNaming(content, meeting('b'))).toBe('other');
    expect(richContentNaming({ id: meeting('a') }, meeting('b'))).toBe('other');
  });

  it('finds content that carries neither id nor @odata.id unnamed (Outlook sends only the selected properties)', () => {
    expect(
      richContentNaming({ subject: 's', 'subject@odata.type': '#String' }, `Users/${USER}/Messages/${MESSAGE}`),
    ).toBe('unnamed');
  });

  it('answers same exactly when the content id is the resource id (property)', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9=_:.@-]{1,30}$/).filter((value) => value !== '.' && value !== '..');
    fc.assert(
      fc.property(id, id, (contentId, resourceId) => {
        const naming = richContentNaming({ id: contentId }, `Users/${USER}/Messages/${resourceId}`);
        expect(naming).toBe(contentId === resourceId ? 'same' : 'other');
      }),
    );
  });
});
