import { describe, expect, it } from 'vitest';
import { compareRoutePrecedence, matchRoute, parseRouteTemplate } from '../../../dev/local-host/routeTemplate';

function match(template: string, path: string): Record<string, string> | undefined {
  return matchRoute(
    parseRouteTemplate(template),
    path.split('/').filter((segment) => segment !== ''),
  );
}

describe('route templates', () => {
  it('binds {name} parameters and compares literals case-insensitively', () => {
    expect(match('subscriptions/{id}/renew', 'Subscriptions/abc/RENEW')).toEqual({ id: 'abc' });
    expect(match('subscriptions/{id}/renew', 'subscriptions/abc')).toBeUndefined();
    expect(match('subscriptions/{id}', 'subscriptions/abc/extra')).toBeUndefined();
  });

  it('leaves an absent optional parameter out of the values', () => {
    expect(match('items/{id}/{detail?}', 'items/1')).toEqual({ id: '1' });
    expect(match('items/{id}/{detail?}', 'items/1/more')).toEqual({ id: '1', detail: 'more' });
  });

  it('collects the rest of the path into a catch-all parameter', () => {
    expect(match('files/{*path}', 'files/a/b/c.txt')).toEqual({ path: 'a/b/c.txt' });
    expect(match('files/{*path}', 'files')).toEqual({});
  });

  it('enforces the common inline constraints', () => {
    expect(match('orders/{id:int}', 'orders/42')).toEqual({ id: '42' });
    expect(match('orders/{id:int}', 'orders/forty-two')).toBeUndefined();
    expect(match('users/{id:guid}', 'users/0f8fad5b-d9cb-469f-a165-70867728950e')).toEqual({
      id: '0f8fad5b-d9cb-469f-a165-70867728950e',
    });
    expect(match('users/{id:guid}', 'users/nope')).toBeUndefined();
    expect(match('flags/{on:bool}', 'flags/TRUE')).toEqual({ on: 'TRUE' });
  });

  it('prefers literal segments, then constrained, plain, optional and catch-all parameters', () => {
    const templates = ['items/{*rest}', 'items/{id?}', 'items/{id}', 'items/{id:int}', 'items/list'].map(
      parseRouteTemplate,
    );
    expect([...templates].sort(compareRoutePrecedence).map((route) => route.template)).toEqual([
      'items/list',
      'items/{id:int}',
      'items/{id}',
      'items/{id?}',
      'items/{*rest}',
    ]);
  });

  it('rejects templates the local host cannot route', () => {
    expect(() => parseRouteTemplate('files/{*path}/tail')).toThrow(
      expect.objectContaining({ code: 'ERR_LOCAL_HOST_APP_INVALID' }) as Error,
    );
    expect(() => parseRouteTemplate('items/v{version}')).toThrow(
      expect.objectContaining({ code: 'ERR_LOCAL_HOST_UNSUPPORTED' }) as Error,
    );
  });
});
