import { describe, expect, it } from 'vitest';
import { graphScopeFor, isTenantId } from '../../../src/lib/graph';

describe('graphScopeFor', () => {
  it.each([
    ['https://graph.microsoft.com/v1.0', 'https://graph.microsoft.com/.default'],
    ['https://graph.microsoft.us/beta', 'https://graph.microsoft.us/.default'],
    ['http://127.0.0.1:4000/v1.0', 'https://graph.microsoft.com/.default'],
  ])('asks for the app-only scope of %s as %s', (baseUrl, scope) => {
    expect(graphScopeFor(baseUrl)).toBe(scope);
  });
});

describe('isTenantId', () => {
  it.each([
    ['84bd8158-6d4d-4958-8b9f-9d6445542f95', true],
    ['84BD8158-6D4D-4958-8B9F-9D6445542F95', true],
    ['common', false],
    ['contoso.onmicrosoft.com', false],
    ['84bd8158-6d4d-4958-8b9f-9d6445542f95/../evil', false],
    ['', false],
  ])('%s → %s', (value, expected) => {
    expect(isTenantId(value)).toBe(expected);
  });
});
