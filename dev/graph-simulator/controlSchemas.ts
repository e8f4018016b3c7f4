/**
 * Input schemas of the control API. The control API is a developer tool, but a typo in a mutation should
 * say what is wrong ("message update needs userId") instead of failing somewhere deep inside, so every
 * body is parsed here before it reaches the simulator.
 */
import { z } from 'zod';
import type { Mutation } from './directory.js';
import { MutationRejected } from './directory.js';
import { NO_FAULTS, type FaultOptions, type FaultRule } from './faults.js';
import type { AppRegistration, TenantSeed } from './model.js';
import type { WorkloadOptions } from './workload.js';

const id = z.string().min(1);
const data = z.record(z.string(), z.unknown());
const ratio = z.number().min(0).max(1);

const MUTATIONS: Record<string, z.ZodType> = {
  'user:create': z.object({ data: data.exactOptional() }),
  'user:update': z.object({ id, data }),
  'user:delete': z.object({ id, permanent: z.boolean().exactOptional() }),
  'user:restore': z.object({ id }),
  'message:create': z.object({ userId: id, folder: id.exactOptional(), data: data.exactOptional() }),
  'message:update': z.object({ userId: id, id, data }),
  'message:delete': z.object({ userId: id, id }),
  'message:move': z.object({ userId: id, id, folder: id }),
  'event:create': z.object({ userId: id, data: data.exactOptional() }),
  'event:update': z.object({ userId: id, id, data }),
  'event:delete': z.object({ userId: id, id }),
  'driveItem:create': z.object({ driveId: id, parentId: id.exactOptional(), data: data.exactOptional() }),
  'driveItem:update': z.object({ driveId: id, id, data }),
  'driveItem:delete': z.object({ driveId: id, id }),
  'chat:create': z.object({ data: data.exactOptional() }),
  'chat:update': z.object({ id, data }),
  'chatMessage:create': z.object({ chatId: id, data: data.exactOptional() }),
  'chatMessage:update': z.object({ chatId: id, id, data }),
  'chatMessage:delete': z.object({ chatId: id, id }),
  'team:create': z.object({ data: data.exactOptional() }),
  'team:update': z.object({ id, data }),
  'team:delete': z.object({ id }),
  'channel:create': z.object({ teamId: id, data: data.exactOptional() }),
  'channel:update': z.object({ teamId: id, id, data }),
  'channel:delete': z.object({ teamId: id, id }),
  'channelMessage:create': z.object({ teamId: id, channelId: id, data: data.exactOptional() }),
  'channelMessage:update': z.object({ teamId: id, channelId: id, id, data }),
  'channelMessage:delete': z.object({ teamId: id, channelId: id, id }),
  'teamsMember:create': z.object({ container: id, userId: id, data: data.exactOptional() }),
  'teamsMember:update': z.object({ container: id, id, data }),
  'teamsMember:delete': z.object({ container: id, id }),
};
const SAME_AS: Record<string, string> = { group: 'user', contact: 'event' };

function fail(what: string, error: z.ZodError): never {
  const problems = error.issues.map(
    (issue) => `${issue.path.length === 0 ? what : issue.path.join('.')}: ${issue.message}`,
  );
  throw new MutationRejected(`invalid ${what}: ${problems.join('; ')}`);
}

export function parseMutation(input: unknown): Mutation {
  const head = z.object({ kind: z.string(), op: z.string() }).safeParse(input);
  if (!head.success) fail('mutation', head.error);
  const { kind, op } = head.data;
  const schema = MUTATIONS[`${SAME_AS[kind] ?? kind}:${op}`];
  if (schema === undefined) throw new MutationRejected(`unsupported mutation ${kind} ${op}`);
  const body = schema.safeParse(input);
  if (!body.success) fail(`${kind} ${op}`, body.error);
  // The schema checked every field the union member needs; kind and op were checked against the table.
  return { ...(body.data as object), kind, op } as Mutation;
}

export function parseTenantSeed(input: unknown): TenantSeed {
  const result = z
    .object({
      id: id.exactOptional(),
      displayName: id.exactOptional(),
      domain: id.exactOptional(),
      driveType: z.enum(['business', 'personal']).exactOptional(),
    })
    .strict()
    .safeParse(input ?? {});
  if (!result.success) fail('tenant', result.error);
  return result.data;
}

export function parseAppRegistration(input: unknown): AppRegistration {
  const strings = z.array(z.string());
  const result = z
    .object({
      clientId: id.exactOptional(),
      displayName: id.exactOptional(),
      clientSecrets: strings.exactOptional(),
      certificates: strings.exactOptional(),
      tenants: strings.exactOptional(),
      roles: strings.exactOptional(),
    })
    .strict()
    .safeParse(input ?? {});
  if (!result.success) fail('app', result.error);
  return result.data;
}

export function parseFaultOptions(input: unknown): Partial<FaultOptions> {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, value] of Object.entries(NO_FAULTS)) {
    const base =
      typeof value === 'boolean'
        ? z.boolean()
        : key.endsWith('Ratio') || key.endsWith('PerHour')
          ? ratio
          : z.number().min(0);
    shape[key] = base.exactOptional();
  }
  const result = z
    .object(shape)
    .strict()
    .safeParse(input ?? {});
  if (!result.success) fail('faults', result.error);
  return result.data;
}

export function parseFaultRule(input: unknown): FaultRule {
  const result = z
    .object({
      target: z.enum(['graph', 'token', 'delivery', 'handshake']).exactOptional(),
      method: id.exactOptional(),
      path: z
        .string()
        .refine((p) => {
          try {
            new RegExp(p);
            return true;
          } catch {
            return false;
          }
        }, 'not a valid regular expression')
        .exactOptional(),
      status: z.number().int().min(100).max(599).exactOptional(),
      code: id.exactOptional(),
      message: z.string().exactOptional(),
      retryAfterSeconds: z.number().min(0).exactOptional(),
      delayMs: z.number().min(0).exactOptional(),
      action: z.enum(['drop', 'duplicate', 'timeout']).exactOptional(),
      times: z.number().int().min(1).exactOptional(),
    })
    .strict()
    .safeParse(input ?? {});
  if (!result.success) fail('fault rule', result.error);
  return result.data;
}

const KINDS = ['user', 'group', 'message', 'event', 'contact', 'driveItem', 'chatMessage'] as const;

export function parseWorkloadOptions(input: unknown): WorkloadOptions & { count?: number } {
  const weights = z.number().min(0);
  const result = z
    .object({
      tenantId: id.exactOptional(),
      ratePerSecond: z.number().positive().exactOptional(),
      mix: z.partialRecord(z.enum(KINDS), weights).exactOptional(),
      changeMix: z.partialRecord(z.enum(['created', 'updated', 'deleted']), weights).exactOptional(),
      duplicateRatio: ratio.exactOptional(),
      reorderWindowMs: z.number().min(0).exactOptional(),
      maxChanges: z.number().int().positive().exactOptional(),
      userIds: z.array(id).exactOptional(),
      count: z.number().int().positive().max(100_000).exactOptional(),
    })
    .strict()
    .safeParse(input ?? {});
  if (!result.success) fail('workload options', result.error);
  return result.data;
}
