/**
 * HTTP trigger routes, as ASP.NET Core route templates read them in the Functions host: literal
 * segments compared case-insensitively, `{name}` parameters, `{name?}` optional ones, `{*name}`
 * catch-all, and `{name:int}`-style constraints (int, long, bool, guid, alpha, double, decimal;
 * others are accepted and not enforced). When several routes match, the more specific wins: literal
 * segments beat constrained parameters, which beat plain, optional and then catch-all ones.
 */
import { LocalHostError } from './errors';

type Segment =
  | { readonly kind: 'literal'; readonly text: string }
  | {
      readonly kind: 'parameter';
      readonly name: string;
      readonly optional: boolean;
      readonly catchAll: boolean;
      readonly constraints: readonly string[];
    };

export interface RouteTemplate {
  readonly template: string;
  readonly segments: readonly Segment[];
  /** Lower is more specific, compared segment by segment. */
  readonly precedence: readonly number[];
}

const CONSTRAINTS: Readonly<Record<string, RegExp>> = {
  int: /^-?\d{1,10}$/,
  long: /^-?\d{1,19}$/,
  bool: /^(true|false)$/i,
  guid: /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i,
  alpha: /^[a-z]+$/i,
  double: /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/,
  decimal: /^-?\d+(\.\d+)?$/,
};

function parseSegment(text: string, template: string): Segment {
  const match = /^\{(\*{1,2})?([A-Za-z_][\w.-]*)((?::[^:?}]+)*)(\?)?\}$/.exec(text);
  if (match === null) {
    if (text.includes('{') || text.includes('}')) {
      throw new LocalHostError(
        'ERR_LOCAL_HOST_UNSUPPORTED',
        `Route template "${template}": segment "${text}" mixes literal text and a parameter, which the local host does not support`,
      );
    }
    return { kind: 'literal', text };
  }
  const [, star, name = '', constraintText = '', question] = match;
  return {
    kind: 'parameter',
    name,
    optional: question !== undefined,
    catchAll: star !== undefined,
    constraints: constraintText
      .split(':')
      .filter((constraint) => constraint !== '')
      .map((constraint) => constraint.toLowerCase()),
  };
}

function segmentPrecedence(segment: Segment): number {
  if (segment.kind === 'literal') return 1;
  if (segment.catchAll) return 5;
  if (segment.optional) return 4;
  return segment.constraints.length > 0 ? 2 : 3;
}

export function parseRouteTemplate(template: string): RouteTemplate {
  const segments = template
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => parseSegment(segment, template));
  segments.forEach((segment, index) => {
    if (segment.kind === 'parameter' && segment.catchAll && index !== segments.length - 1) {
      throw new LocalHostError(
        'ERR_LOCAL_HOST_APP_INVALID',
        `Route template "${template}": a catch-all parameter must be the last segment`,
      );
    }
  });
  return { template, segments, precedence: segments.map(segmentPrecedence) };
}

/** Negative when `a` should be tried before `b`. */
export function compareRoutePrecedence(a: RouteTemplate, b: RouteTemplate): number {
  const length = Math.max(a.precedence.length, b.precedence.length);
  for (let index = 0; index < length; index++) {
    // A missing segment sorts after any present one: `items/{id}` before `items`.
    const difference = (a.precedence[index] ?? 6) - (b.precedence[index] ?? 6);
    if (difference !== 0) return difference;
  }
  return 0;
}

function satisfies(value: string, constraints: readonly string[]): boolean {
  return constraints.every((constraint) => CONSTRAINTS[constraint.replace(/\(.*$/, '')]?.test(value) ?? true);
}

/**
 * The route values when `pathSegments` (already percent-decoded) match the template, else undefined.
 * Optional parameters that are absent do not appear in the result.
 */
export function matchRoute(route: RouteTemplate, pathSegments: readonly string[]): Record<string, string> | undefined {
  const values: Record<string, string> = {};
  let index = 0;
  for (const segment of route.segments) {
    if (segment.kind === 'literal') {
      const actual = pathSegments[index];
      if (actual === undefined || actual.toLowerCase() !== segment.text.toLowerCase()) return undefined;
      index++;
      continue;
    }
    if (segment.catchAll) {
      const rest = pathSegments.slice(index).join('/');
      if (rest !== '') values[segment.name] = rest;
      index = pathSegments.length;
      continue;
    }
    const actual = pathSegments[index];
    if (actual === undefined) {
      if (segment.optional) continue;
      return undefined;
    }
    if (!satisfies(actual, segment.constraints)) return undefined;
    values[segment.name] = actual;
    index++;
  }
  return index === pathSegments.length ? values : undefined;
}
