/**
 * The demo tenant `--seed-demo` creates: fixed tenant and app ids (so local settings can name them), three
 * users with mail, events, contacts and drive files, two groups and a Teams chat. The secret is a
 * well-known development value; it only opens this simulator.
 */
import type { TenantDirectory } from './directory.js';

export const DEMO_TENANT_ID = '72f988bf-0000-4000-8000-00000000de00';
export const DEMO_APP_ID = '5a1e0000-0000-4000-8000-000000000001';
export const DEMO_CLIENT_SECRET = 'graph-sim-demo-secret';
export const DEMO_DOMAIN = 'contoso.onmicrosoft.com';

export function seedDemoResources(directory: TenantDirectory): void {
  const people = [
    { mailNickname: 'adele', displayName: 'Adele Vance', jobTitle: 'Retail Manager' },
    { mailNickname: 'alex', displayName: 'Alex Wilber', jobTitle: 'Marketing Assistant' },
    { mailNickname: 'megan', displayName: 'Megan Bowen', jobTitle: 'Marketing Manager' },
  ];
  for (const person of people) {
    const user = directory.apply({ kind: 'user', op: 'create', data: person });
    if (user === undefined) continue;
    directory.apply({
      kind: 'message',
      op: 'create',
      userId: user.id,
      data: { subject: `Welcome, ${person.displayName}` },
    });
    directory.apply({
      kind: 'message',
      op: 'create',
      userId: user.id,
      data: { subject: 'Quarterly numbers', importance: 'high' },
    });
    directory.apply({ kind: 'event', op: 'create', userId: user.id, data: { subject: 'Team sync' } });
    directory.apply({ kind: 'contact', op: 'create', userId: user.id, data: { displayName: 'Patti Fernandez' } });
    const drive = directory.driveOfUser(user.id);
    if (drive !== undefined) {
      const folder = directory.apply({
        kind: 'driveItem',
        op: 'create',
        driveId: drive.id,
        data: { name: 'Projects', folder: { childCount: 0 } },
      });
      directory.apply({
        kind: 'driveItem',
        op: 'create',
        driveId: drive.id,
        ...(folder === undefined ? {} : { parentId: folder.id }),
        data: { name: 'Plan.docx' },
      });
    }
  }
  directory.apply({
    kind: 'group',
    op: 'create',
    data: { displayName: 'Marketing', mailEnabled: true, mailNickname: 'marketing', groupTypes: ['Unified'] },
  });
  directory.apply({ kind: 'group', op: 'create', data: { displayName: 'All Staff', mailNickname: 'allstaff' } });
  const chat = directory.apply({ kind: 'chat', op: 'create', data: { topic: 'Launch planning' } });
  if (chat !== undefined)
    directory.apply({
      kind: 'chatMessage',
      op: 'create',
      chatId: chat.id,
      data: { body: { contentType: 'text', content: 'Kick-off at 10' } },
    });
}
