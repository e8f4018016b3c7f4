/**
 * Rules Graph enforces on the query of some subscription resources, checked before Graph is called so the
 * refusal says how to fix the request (docs/resources.md).
 */

/** The query options of a resource (`a?b=c&d=e`), names lower-cased, `%24` read as `$`. */
function queryOptions(resource: string): Map<string, string> {
  const query = resource.includes('?') ? resource.slice(resource.indexOf('?') + 1) : '';
  const options = new Map<string, string>();
  for (const option of query.split('&')) {
    if (option === '') continue;
    const equals = option.indexOf('=');
    const name = (equals < 0 ? option : option.slice(0, equals)).replace(/^%24/i, '$').toLowerCase();
    let value = equals < 0 ? '' : option.slice(equals + 1);
    try {
      value = decodeURIComponent(value.replace(/\+/g, ' '));
    } catch {
      // Left as written: the rule below reports what it sees.
    }
    options.set(name, value);
  }
  return options;
}

/**
 * The Teams export APIs (`getAllMessages`, `getAllMembers`) take `model=A` or `model=B`, Microsoft's licensing
 * and payment models; without it Graph uses evaluation mode and its monthly cap ("Licensing and payment
 * requirements for Microsoft Teams APIs", https://learn.microsoft.com/graph/teams-licenses).
 */
export function teamsExportModelRule(resource: string): string | undefined {
  const model = queryOptions(resource).get('model');
  if (model === undefined || model === 'A' || model === 'B') return undefined;
  return `model=${model} is not a Teams licensing model: use ?model=A or ?model=B, or leave it out for evaluation mode (https://learn.microsoft.com/graph/teams-licenses)`;
}

/** `model=A` or `model=B` when an export API resource names its licensing model (the identity part of its query). */
export function teamsExportModelIdentity(resource: string): string | undefined {
  const model = queryOptions(resource).get('model');
  return model === undefined ? undefined : `model=${model}`;
}

/** Graph watches at most 650 users' presence in one subscription ("Get change notifications for presence"). */
export const MAX_PRESENCE_IDS = 650;

/**
 * A subscription to `communications/presences` names its users: `?$filter=id in ('id1','id2')`, 1 to 650 of
 * them (https://learn.microsoft.com/graph/changenotifications-for-presence). One user's presence
 * (`communications/presences/{id}`) needs no filter.
 */
export function presenceFilterRule(resource: string): string | undefined {
  if (!/^\/*communications\/presences\/?(\?|$)/i.test(resource)) return undefined;
  const filter = queryOptions(resource).get('$filter');
  const ids = filter === undefined ? undefined : /^\s*id\s+in\s*\((.*)\)\s*$/i.exec(filter)?.[1];
  const example = "communications/presences?$filter=id in ('<user id>','<user id>')";
  if (ids === undefined) return `a presence subscription names its users: ${example}`;
  const count = ids.split(',').filter((id) => /^\s*'[^']+'\s*$/.test(id)).length;
  if (count === 0 || count !== ids.split(',').length)
    return `$filter must list quoted user ids, e.g. ${example}; got "${filter ?? ''}"`;
  if (count > MAX_PRESENCE_IDS)
    return `Graph watches at most ${MAX_PRESENCE_IDS} users per presence subscription; this one lists ${count}: split it`;
  return undefined;
}

/**
 * The users a `communications/presences?$filter=id in (…)` subscription watches, as `ids=a,b` (lower-cased, since
 * Graph matches user ids, GUIDs, in any case; sorted; each once): the same set of users gives the same text however
 * the filter lists them. Undefined without such a filter (`communications/presences/{id}` names its user in the path).
 */
export function presenceIdentityQuery(resource: string): string | undefined {
  const filter = queryOptions(resource).get('$filter');
  const ids = filter === undefined ? undefined : /^\s*id\s+in\s*\((.*)\)\s*$/i.exec(filter)?.[1];
  if (ids === undefined) return undefined;
  const users = new Set(
    ids.split(',').map((id) =>
      id
        .trim()
        .replace(/^'(.*)'$/, '$1')
        .toLowerCase(),
    ),
  );
  return `ids=${[...users].sort().join(',')}`;
}
