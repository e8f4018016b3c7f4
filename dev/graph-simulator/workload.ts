/**
 * A random change workload: a stream of mutations over a tenant with a chosen rate (per virtual second),
 * mix of resource kinds and change types, and per-change duplicate ratio and reordering window for the
 * notifications they cause. Deterministic for a given seed. It deletes only users and groups it created
 * itself, so subscriptions on seeded mailboxes and drives stay valid.
 */
import type { Mutation, TenantDirectory } from './directory.js';
import type { SeededRandom } from './faults.js';
import type { ChangeHints, JsonObject } from './model.js';
import type { SimClock, TimerHandle } from './simClock.js';

export type WorkloadKind = 'user' | 'group' | 'message' | 'event' | 'contact' | 'driveItem' | 'chatMessage';

export interface WorkloadOptions {
  /** Tenant to change; defaults to the first tenant. */
  tenantId?: string;
  /** Mutations per virtual second for `start`. */
  ratePerSecond?: number;
  /** Relative weights of resource kinds; replaces the default mix. */
  mix?: Partial<Record<WorkloadKind, number>>;
  /** Relative weights of change types; replaces the default. */
  changeMix?: Partial<Record<'created' | 'updated' | 'deleted', number>>;
  /** Probability that each notification of a change is delivered twice. */
  duplicateRatio?: number;
  /** Random extra delay (virtual ms) per notification, which reorders deliveries. */
  reorderWindowMs?: number;
  /** Stop `start` after this many mutations. */
  maxChanges?: number;
  /** Restrict mailbox and drive changes to these users (ids). */
  userIds?: string[];
}

export interface AppliedChange {
  kind: WorkloadKind;
  op: string;
  path: string | undefined;
}

const DEFAULT_MIX: Record<WorkloadKind, number> = {
  user: 1,
  group: 1,
  message: 4,
  event: 1,
  contact: 1,
  driveItem: 2,
  chatMessage: 1,
};
const DEFAULT_CHANGE_MIX = { created: 0.4, updated: 0.45, deleted: 0.15 };

function weighted<T extends string>(random: SeededRandom, weights: Partial<Record<T, number>>): T | undefined {
  const entries = Object.entries(weights).filter((e): e is [T, number] => typeof e[1] === 'number' && e[1] > 0);
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let roll = random.next() * total;
  for (const [key, weight] of entries) {
    roll -= weight;
    if (roll < 0) return key;
  }
  return entries.at(-1)?.[0];
}

export class WorkloadGenerator {
  readonly #clock: SimClock;
  readonly #random: SeededRandom;
  readonly #directory: (tenantId: string | undefined) => TenantDirectory | undefined;
  readonly #created = new Set<string>();
  #timer: TimerHandle | undefined;
  #applied = 0;

  constructor(
    clock: SimClock,
    random: SeededRandom,
    directory: (tenantId: string | undefined) => TenantDirectory | undefined,
  ) {
    this.#clock = clock;
    this.#random = random;
    this.#directory = directory;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Applies `count` random mutations now. */
  run(count: number, options: WorkloadOptions = {}): AppliedChange[] {
    const applied: AppliedChange[] = [];
    for (let i = 0; i < count; i++) {
      const change = this.#step(options);
      if (change !== undefined) applied.push(change);
    }
    return applied;
  }

  /** Applies mutations at `ratePerSecond` on the simulator clock until stopped (or `maxChanges`). */
  start(options: WorkloadOptions = {}): void {
    this.stop();
    const rate = options.ratePerSecond ?? 1;
    if (!(rate > 0)) throw new TypeError('workload ratePerSecond must be positive');
    const interval = 1000 / rate;
    this.#applied = 0;
    const tick = (at: number): void => {
      this.#timer = this.#clock.schedule(at, 'workload', () => {
        this.#step(options);
        this.#applied += 1;
        if (options.maxChanges !== undefined && this.#applied >= options.maxChanges) {
          this.#timer = undefined;
          return;
        }
        tick(at + interval);
      });
    };
    tick(this.#clock.nowMs() + interval);
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #step(options: WorkloadOptions): AppliedChange | undefined {
    const directory = this.#directory(options.tenantId);
    if (directory === undefined) throw new TypeError('workload: no such tenant');
    const hints: ChangeHints = {
      ...(options.duplicateRatio === undefined ? {} : { duplicateRatio: options.duplicateRatio }),
      ...(options.reorderWindowMs === undefined ? {} : { reorderWindowMs: options.reorderWindowMs }),
    };
    // A given mix replaces the default, so { message: 1 } means messages only.
    const kind = weighted(this.#random, options.mix ?? DEFAULT_MIX);
    const op = weighted(this.#random, options.changeMix ?? DEFAULT_CHANGE_MIX);
    if (kind === undefined || op === undefined) return undefined;
    const mutation = this.#mutation(directory, kind, op, options);
    if (mutation === undefined) return undefined;
    const resource = directory.apply(mutation, hints);
    if (mutation.op === 'create' && (kind === 'user' || kind === 'group') && resource !== undefined)
      this.#created.add(resource.path);
    return { kind, op: mutation.op, path: resource?.path };
  }

  #mutation(
    directory: TenantDirectory,
    kind: WorkloadKind,
    op: 'created' | 'updated' | 'deleted',
    options: WorkloadOptions,
  ): Mutation | undefined {
    const random = this.#random;
    const serial = directory.lastSeq + 1;
    const users = directory
      .list('users')
      .filter((u) => options.userIds === undefined || options.userIds.includes(u.id));
    const seededUsers = users.filter((u) => !this.#created.has(u.path));
    const owner = random.pick(seededUsers.length > 0 ? seededUsers : users);
    const patch = (): JsonObject => ({ subject: `Update ${serial}` });
    switch (kind) {
      case 'user':
      case 'group': {
        const collection = kind === 'user' ? 'users' : 'groups';
        const mine = directory.list(collection).filter((r) => this.#created.has(r.path));
        const target = random.pick(mine);
        if (op === 'created' || target === undefined)
          return {
            kind,
            op: 'create',
            data: kind === 'user' ? { mailNickname: `load${serial}` } : { displayName: `Load group ${serial}` },
          };
        if (op === 'updated')
          return {
            kind,
            op: 'update',
            id: target.id,
            data: kind === 'user' ? { jobTitle: `Title ${serial}` } : { description: `Description ${serial}` },
          };
        return { kind, op: 'delete', id: target.id, permanent: random.chance(0.5) };
      }
      case 'message': {
        if (owner === undefined) return undefined;
        const messages = directory.list(`users/${owner.id}/messages`);
        const target = random.pick(messages);
        if (op === 'created' || target === undefined)
          return { kind, op: 'create', userId: owner.id, folder: 'inbox', data: { subject: `Message ${serial}` } };
        if (op === 'updated')
          return random.chance(0.5)
            ? { kind, op: 'update', userId: owner.id, id: target.id, data: { isRead: target.body.isRead !== true } }
            : { kind, op: 'update', userId: owner.id, id: target.id, data: patch() };
        if (random.chance(0.2)) return { kind, op: 'move', userId: owner.id, id: target.id, folder: 'archive' };
        return { kind, op: 'delete', userId: owner.id, id: target.id };
      }
      case 'event':
      case 'contact': {
        if (owner === undefined) return undefined;
        const target = random.pick(directory.list(`users/${owner.id}/${kind === 'event' ? 'events' : 'contacts'}`));
        if (op === 'created' || target === undefined) return { kind, op: 'create', userId: owner.id };
        if (op === 'updated')
          return {
            kind,
            op: 'update',
            userId: owner.id,
            id: target.id,
            data: kind === 'event' ? patch() : { displayName: `Contact ${serial}` },
          };
        return { kind, op: 'delete', userId: owner.id, id: target.id };
      }
      case 'driveItem': {
        const drive = owner === undefined ? undefined : directory.driveOfUser(owner.id);
        if (drive === undefined) return undefined;
        const items = directory.list(`drives/${drive.id}/items`).filter((i) => i.body.root === undefined);
        const target = random.pick(items);
        if (op === 'created' || target === undefined) return { kind, op: 'create', driveId: drive.id };
        if (op === 'updated')
          return { kind, op: 'update', driveId: drive.id, id: target.id, data: { size: 1024 + serial } };
        return { kind, op: 'delete', driveId: drive.id, id: target.id };
      }
      case 'chatMessage': {
        const chat = random.pick(directory.list('chats'));
        if (chat === undefined) return undefined;
        const target = random.pick(directory.list(`chats/${chat.id}/messages`));
        if (op === 'created' || target === undefined)
          return {
            kind,
            op: 'create',
            chatId: chat.id,
            data: { body: { contentType: 'text', content: `Chat message ${serial}` } },
          };
        if (op === 'updated')
          return {
            kind,
            op: 'update',
            chatId: chat.id,
            id: target.id,
            data: { body: { contentType: 'text', content: `Edited ${serial}` } },
          };
        return { kind, op: 'delete', chatId: chat.id, id: target.id };
      }
    }
  }
}
