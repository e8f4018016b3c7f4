/**
 * The control API under `/_sim`: what a test or a developer uses to drive the simulator over HTTP
 * (tenants, apps, mutations, time, faults, lifecycle events, workload) and to read its ground truth
 * (resource state, notification and delivery logs, endpoint states). Unauthenticated by design: the
 * simulator binds to loopback. Every route maps to one method of the `GraphSimulator` object.
 */
import {
  parseAppRegistration,
  parseFaultOptions,
  parseFaultRule,
  parseMutation,
  parseTenantSeed,
  parseWorkloadOptions,
} from './controlSchemas.js';
import { MutationRejected } from './directory.js';
import {
  GraphHttpError,
  emptyResponse,
  graphError,
  jsonResponse,
  newRequestIds,
  type SimResponse,
} from './graphError.js';
import { parseJsonBody, type SimRequest } from './http.js';
import { TIME } from './limits.js';
import type { GraphSimulator, NotificationFilter } from './simulator.js';
import type { LifecycleEvent } from './subscriptions.js';

const LIFECYCLE_EVENTS: readonly LifecycleEvent[] = ['reauthorizationRequired', 'subscriptionRemoved', 'missed'];

function objectBody(request: SimRequest): Record<string, unknown> {
  const body = parseJsonBody(request);
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new MutationRejected('the body must be a JSON object');
  return body as Record<string, unknown>;
}

function durationMs(body: Record<string, unknown>): number {
  const units: [string, number][] = [
    ['ms', 1],
    ['seconds', 1000],
    ['minutes', TIME.MINUTE_MS],
    ['hours', TIME.HOUR_MS],
    ['days', TIME.DAY_MS],
  ];
  let total = 0;
  for (const [name, factor] of units) {
    const value = body[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value >= 0)) throw new MutationRejected(`${name} must be a non-negative number`);
    total += value * factor;
  }
  return total;
}

function notificationFilter(query: URLSearchParams): NotificationFilter {
  const filter: Record<string, string> = {};
  for (const name of ['subscriptionId', 'status', 'kind', 'tenantId'] as const) {
    const value = query.get(name);
    if (value !== null) filter[name] = value;
  }
  return filter;
}

export async function handleControl(sim: GraphSimulator, request: SimRequest): Promise<SimResponse> {
  try {
    return await route(sim, request);
  } catch (error) {
    const ids = newRequestIds(request.headers['client-request-id']);
    const now = sim.clock.now();
    if (error instanceof MutationRejected)
      return graphError(error.status, 'SimulatorRequestInvalid', error.message, { now, ids });
    if (error instanceof GraphHttpError) return graphError(error.status, error.code, error.message, { now, ids });
    if (error instanceof TypeError || error instanceof SyntaxError)
      return graphError(400, 'SimulatorRequestInvalid', error.message, { now, ids });
    throw error;
  }
}

async function route(sim: GraphSimulator, request: SimRequest): Promise<SimResponse> {
  const parts = request.url.pathname
    .split('/')
    .filter((p) => p !== '')
    .slice(1)
    .map(decodeURIComponent);
  const [area = '', id, action, extra] = parts;
  const method = request.method;
  const query = request.url.searchParams;
  const key = `${method} ${area}${id === undefined ? '' : '/:id'}${action === undefined ? '' : `/${action}`}${extra === undefined ? '' : '/:extra'}`;
  switch (key) {
    case 'GET health':
      return jsonResponse(200, { status: 'ok', now: sim.clock.now().toISOString() });
    case 'GET time':
      return jsonResponse(200, { now: sim.clock.now().toISOString() });
    case 'POST time/:id': {
      if (id === 'advance') await sim.clock.advance(durationMs(objectBody(request)));
      else if (id === 'settle') await sim.clock.settle();
      else break;
      return jsonResponse(200, { now: sim.clock.now().toISOString() });
    }
    case 'GET tenants':
      return jsonResponse(200, { value: sim.tenants() });
    case 'POST tenants':
      return jsonResponse(201, sim.addTenant(parseTenantSeed(parseJsonBody(request))));
    case 'GET apps':
      return jsonResponse(200, { value: sim.apps() });
    case 'POST apps':
      return jsonResponse(201, sim.registerApp(parseAppRegistration(parseJsonBody(request))));
    case 'POST tenants/:id/mutations': {
      const body = parseJsonBody(request);
      const mutations = (Array.isArray(body) ? body : [body]).map(parseMutation);
      const resources = mutations.map((m) => sim.mutate(id ?? '', m) ?? null);
      return jsonResponse(200, { value: resources });
    }
    case 'POST tenants/:id/subscriptions': {
      const body = objectBody(request);
      if (typeof body.clientId !== 'string' || !Array.isArray(body.subscriptions))
        throw new MutationRejected('clientId and a subscriptions array are required');
      return jsonResponse(201, { value: await sim.seedSubscriptions(id ?? '', body.clientId, body.subscriptions) });
    }
    case 'GET tenants/:id/state':
      return jsonResponse(200, { value: sim.state(id) });
    case 'POST tenants/:id/delta/:extra': {
      if (extra !== 'reset') break;
      sim.resetDelta(id ?? '');
      return emptyResponse(204);
    }
    case 'GET state':
      return jsonResponse(200, { value: sim.state() });
    case 'GET subscriptions':
      return jsonResponse(200, { value: sim.subscriptions() });
    case 'POST subscriptions/:id/lifecycle': {
      const body = objectBody(request);
      const event = body.event;
      if (typeof event !== 'string' || !LIFECYCLE_EVENTS.includes(event as LifecycleEvent)) {
        throw new MutationRejected(`event must be one of ${LIFECYCLE_EVENTS.join(', ')}`);
      }
      const variant =
        body.variant === 'organizationId' ? 'organizationId' : body.variant === 'tenantId' ? 'tenantId' : undefined;
      const record = sim.lifecycle(id ?? '', event as LifecycleEvent, variant);
      return jsonResponse(202, { notification: record ?? null });
    }
    case 'POST subscriptions/:id/expire-access-token':
      sim.expireAccessToken(id ?? '');
      return emptyResponse(204);
    case 'GET notifications':
      return jsonResponse(200, { value: sim.notifications(notificationFilter(query)) });
    case 'GET notifications/:id':
      if (id !== 'summary') break;
      return jsonResponse(200, sim.deliverySummary(notificationFilter(query)));
    case 'GET changes':
      return jsonResponse(200, { value: sim.changes(query.get('tenantId') ?? undefined) });
    case 'GET deliveries':
      return jsonResponse(200, { value: sim.deliveryAttempts() });
    case 'GET endpoints':
      return jsonResponse(200, { value: sim.endpoints() });
    case 'GET anomalies':
      return jsonResponse(200, { value: sim.anomalies() });
    case 'GET faults':
      return jsonResponse(200, { ...sim.faults.current(), rules: sim.faults.rules() });
    case 'PUT faults':
    case 'PATCH faults':
      return jsonResponse(200, sim.faults.configure(parseFaultOptions(parseJsonBody(request))));
    case 'DELETE faults':
      sim.faults.reset();
      return emptyResponse(204);
    case 'POST faults/:id':
      if (id !== 'rules') break;
      return jsonResponse(201, { id: sim.faults.inject(parseFaultRule(parseJsonBody(request))) });
    case 'GET faults/:id':
      if (id !== 'rules') break;
      return jsonResponse(200, { value: sim.faults.rules() });
    case 'POST workload/:id': {
      const { count = 1, ...workloadOptions } = parseWorkloadOptions(parseJsonBody(request));
      if (id === 'start') sim.workload.start(workloadOptions);
      else if (id === 'stop') sim.workload.stop();
      else if (id === 'run') return jsonResponse(200, { value: sim.workload.run(count, workloadOptions) });
      else break;
      return jsonResponse(200, { running: sim.workload.running });
    }
    case 'POST tokens': {
      const body = objectBody(request);
      if (typeof body.tenantId !== 'string' || typeof body.clientId !== 'string')
        throw new MutationRejected('tenantId and clientId are required');
      const lifetime = typeof body.lifetimeSeconds === 'number' ? { lifetimeSeconds: body.lifetimeSeconds } : {};
      return jsonResponse(200, { access_token: await sim.issueAccessToken(body.tenantId, body.clientId, lifetime) });
    }
    case 'POST keys/:id':
      if (id !== 'rotate') break;
      return jsonResponse(200, { kid: await sim.rotateSigningKey() });
    default:
      break;
  }
  // DELETE /_sim/faults/rules/{ruleId}
  if (method === 'DELETE' && area === 'faults' && id === 'rules' && action !== undefined) {
    sim.faults.remove(Number(action));
    return emptyResponse(204);
  }
  throw new MutationRejected(`no control route for ${method} ${request.url.pathname}`, 404);
}
