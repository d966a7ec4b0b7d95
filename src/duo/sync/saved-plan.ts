import { createHash } from 'node:crypto';
import { DataError, UsageError } from '../../errors.js';
import { lazyValidator } from '../../lazy-validator.js';
import { nameKey } from '../../names.js';
import { INSTANT, readRegularFile, syncAjv } from './sync-files.js';
import { FIELD_NAMES } from './ad-values.js';
import { ACTION_KINDS, type SyncAction, type SyncPlan } from './sync-model.js';

/**
 * A saved plan (`sync --out FILE`) is a record of what an admin reviewed, not a list of orders.
 * Applying one (`sync --apply --plan FILE`) means: make a fresh plan now, with every ownership check
 * and safeguard of a normal run, and apply only those of its actions the admin reviewed. The file
 * can name actions; it can never add one the fresh plan would not make, nor release a held one.
 */

/** A plan with the digest of what it decides: what `sync --out` writes. */
export type SealedPlan = SyncPlan & { readonly digest: string };

/**
 * Adds `digest`: the sha256 (hex) of a canonical serialisation (keys sorted at every level, arrays
 * in order) of every field of the plan: plan_id, host, state_sha256, actions, held, basis, the
 * counts, reasons and lists alike. Call it on the plan `sync --out FILE` writes, and write its
 * result (`writeJsonAtomically(file, sealPlan(plan))`). A `digest` already on `plan` is replaced.
 *
 * The digest is not a signature (anyone can recompute it): it tells an edited file from a saved
 * one, so a hand-edit is refused with a clear message instead of half-applied. What keeps an edit
 * from doing harm is restrictToSaved, which only ever applies actions the fresh plan makes itself.
 */
export function sealPlan(plan: SyncPlan): SealedPlan {
  const { digest: _old, ...rest } = plan as SealedPlan;
  return { ...rest, digest: planDigest(rest) };
}

/** The sha256 of a plan without its digest, over canonical JSON. */
function planDigest(plan: SyncPlan): string {
  return createHash('sha256').update(canonicalJson(plan)).digest('hex');
}

/** JSON with every object's keys sorted: the same plan always gives the same text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Reads the plan `--plan FILE` names, for `sync --apply --plan FILE` against Duo host `host`.
 * Only a regular file (a pipe, directory or device is a UsageError, exit 2, and never a hang); a
 * BOM is stripped; the whole plan is checked against a schema (every action kind with its own
 * required fields; every time a real ISO date-time); then its digest: a plan edited since it was
 * saved, or saved without a digest, is refused with UsageError 'BAD_PLAN' (exit 2); so is a plan
 * made for another Duo host. Resolves to the plan as saved; hand it to restrictToSaved with a fresh
 * plan. Never writes anything.
 */
export async function readSavedPlan(path: string, host: string): Promise<SealedPlan> {
  const text = await readRegularFile(path, '--plan');
  if (text === null) throw new UsageError('INPUT_UNREADABLE', `--plan ${path}: no such file`);
  const plan = parsePlan(text, true);
  if (typeof plan === 'string') throw new UsageError('BAD_PLAN', `--plan ${path}: not a sync plan (${plan}); make one with "sync --out FILE"`);
  if (!digestMatches(plan)) {
    throw new UsageError('BAD_PLAN', `--plan ${path}: the plan was edited since it was saved (its digest does not match): review a plan as "sync --out" wrote it, or make a new one`);
  }
  if (plan.host !== host) throw new UsageError('BAD_PLAN', `--plan ${path} was made for Duo host ${plan.host}, not ${host}`);
  return plan;
}

/**
 * A plan from its JSON text: the plan, or why it is not one (a short phrase). `sealed`: a digest
 * is required (a saved plan); otherwise it may be there or not (the plan a run keeps in its runs
 * folder). Only the shape is checked, not the digest. For rebuildState and readSavedPlan.
 */
export function parsePlan(text: string, sealed: boolean): SealedPlan | string {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (!validatePlan(data)) {
    const first = validatePlan.errors?.[0];
    return first ? `${first.instancePath || 'the file'} ${first.message}` : 'not a sync plan';
  }
  const plan = data as unknown as SealedPlan;
  if (sealed && typeof plan.digest !== 'string') return 'it has no digest: it was not written by "sync --out"';
  return plan;
}

/** Whether a plan's digest is that of its content (sealPlan's). For rebuildState, and readSavedPlan. */
export function digestMatches(plan: SealedPlan): boolean {
  return plan.digest === planDigest(withoutDigest(plan));
}

function withoutDigest(plan: SealedPlan): SyncPlan {
  const { digest: _digest, ...rest } = plan;
  return rest;
}

/**
 * The identity of an action, as a string: its kind, guid and user_id, and what it sets where that
 * is part of what was decided: a rename's target names, a membership's group (name-keyed), an
 * update's target values, a create's names. Reasons, `before` values and the username shown are
 * left out (a leaver's "not in AD for N days" changes daily; what Duo had before is not what was
 * decided). Two actions with one key do the same thing to the same user.
 */
export function actionKey(a: SyncAction): string {
  const target = ((): unknown => {
    switch (a.kind) {
      case 'create':
        return namesKey(a.names);
      case 'rename':
        return namesKey(a.to);
      case 'add_membership':
      case 'remove_membership':
        return nameKey(a.group);
      case 'update':
        return Object.fromEntries(Object.entries(a.after).sort(([x], [y]) => (x < y ? -1 : 1)));
      case 'reanchor':
        return a.from_guid;
      default:
        return null;
    }
  })();
  return JSON.stringify([a.kind, a.guid, a.user_id, target]);
}

function namesKey(names: { username: string; aliases: Readonly<Record<string, string>> }): unknown {
  return [names.username, Object.entries(names.aliases).sort(([x], [y]) => (x < y ? -1 : 1))];
}

/**
 * What `sync --apply --plan FILE` applies: `fresh` (planned now, against the state, AD and Duo as
 * they are, with every ownership check and safeguard) restricted to the actions the admin reviewed.
 * Pure.
 *
 * Returns `fresh` with `actions` = those of fresh.actions whose actionKey is the key of an action in
 * `saved.actions`; `held` stays fresh.held (a saved plan never releases a hold; an action held when
 * the plan was saved is not in its `actions`, so it is not applied either). Fresh actions the admin
 * did not review are left out. Everything else (plan_id, basis, hold_reasons…) is fresh's.
 *
 * Throws DataError 'STALE_PLAN' (exit 1), naming the users, when any action of `saved.actions` is
 * not among fresh.actions, or its user's basis (AD's values and the Duo user) changed since: not
 * proposed as it was ("AD or Duo changed since it was made") or only held
 * ("a safeguard holds it now"); then nothing may be applied. Throws UsageError 'BAD_PLAN' when the
 * two plans are for different Duo hosts.
 *
 * The fresh plan must be made the way the saved one was: with adoption on when the saved plan
 * adopts (`saved.actions.some((a) => a.kind === 'adopt')`), since `--adopt` is refused with `--plan`.
 */
export function restrictToSaved(saved: SealedPlan, fresh: SyncPlan): SyncPlan {
  if (saved.host !== fresh.host) throw new UsageError('BAD_PLAN', `saved plan ${saved.plan_id} was made for Duo host ${saved.host}, not ${fresh.host}`);
  const proposed = new Set(fresh.actions.map(actionKey));
  const held = new Set(fresh.held.map(actionKey));
  const reviewed = new Set<string>();
  const changed: string[] = [];
  const holding: string[] = [];
  for (const a of saved.actions) {
    const key = actionKey(a);
    reviewed.add(key);
    // Terraform's rule too: what the plan was made from (AD's values and the Duo user) must not have moved.
    if (proposed.has(key) && fresh.basis[a.guid] === saved.basis[a.guid]) continue;
    (held.has(key) ? holding : changed).push(`${a.kind} ${a.username}`);
  }
  if (changed.length > 0 || holding.length > 0) {
    const parts = [
      ...(changed.length > 0 ? [`AD or Duo changed since it was made for ${changed.length} actions (${listed(changed)})`] : []),
      ...(holding.length > 0 ? [`a safeguard holds ${holding.length} actions now (${listed(holding)})`] : []),
    ];
    throw new DataError('STALE_PLAN', `saved plan ${saved.plan_id} is stale: ${parts.join('; ')}; nothing was changed — plan again`);
  }
  return { ...fresh, actions: fresh.actions.filter((a) => reviewed.has(actionKey(a))) };
}

function listed(items: readonly string[]): string {
  return `${items.slice(0, 10).join(', ')}${items.length > 10 ? `, … and ${items.length - 10} more` : ''}`;
}

// --- the schema of a plan ------------------------------------------------------------------

const text = { type: 'string' } as const;
const id = { type: 'string', minLength: 1 } as const;
const count = { type: 'integer', minimum: 0 } as const;
const journalNames = {
  type: 'object', required: ['username', 'aliases'],
  properties: { username: id, aliases: { type: 'object', propertyNames: { pattern: '^alias[1-8]$' }, additionalProperties: text } },
  additionalProperties: false,
} as const;
const fieldValues = { type: 'object', propertyNames: { enum: [...FIELD_NAMES] }, additionalProperties: text } as const;
const base = { guid: id, username: text } as const;

/** One schema per action kind, with exactly the fields that kind carries (a discriminated union, as SyncAction). */
const ACTION_SCHEMAS: Record<Exclude<SyncAction['kind'], 'remove_membership'>, object> = {
  create: {
    required: ['names', 'fields', 'groups'],
    properties: {
      user_id: { type: 'null' }, names: journalNames, groups: { type: 'array', items: id },
      fields: { type: 'object', required: [...FIELD_NAMES], properties: Object.fromEntries(FIELD_NAMES.map((f) => [f, text])), additionalProperties: false },
    },
  },
  adopt: { required: ['how'], properties: { user_id: id, how: text } },
  reanchor: { required: ['from_guid', 'how'], properties: { user_id: id, from_guid: id, how: text } },
  restore: { properties: { user_id: id } },
  enable: { required: ['reason', 'status'], properties: { user_id: id, reason: text, status: text } },
  update: { required: ['before', 'after'], properties: { user_id: id, before: fieldValues, after: { ...fieldValues, minProperties: 1 } } },
  rename: { required: ['from', 'to'], properties: { user_id: id, from: journalNames, to: journalNames } },
  add_membership: { required: ['group'], properties: { user_id: id, group: id } },
  disable: { required: ['reason', 'status'], properties: { user_id: id, reason: text, status: text } },
  trash: { required: ['reason'], properties: { user_id: id, reason: text } },
};

function actionSchema(): object {
  const branches = Object.entries(ACTION_SCHEMAS).map(([kind, s]) => {
    const { required = [], properties } = s as { required?: string[]; properties: Record<string, unknown> };
    return {
      type: 'object',
      required: ['kind', 'guid', 'username', 'user_id', ...required],
      properties: { kind: kind === 'add_membership' ? { enum: ['add_membership', 'remove_membership'] } : { const: kind }, ...base, ...properties },
      additionalProperties: false,
    };
  });
  // Every kind SyncAction has must have a schema here: a kind added there without one fails loudly.
  const covered = new Set([...Object.keys(ACTION_SCHEMAS), 'remove_membership']);
  const missing = ACTION_KINDS.filter((k) => !covered.has(k));
  if (missing.length > 0) throw new Error(`saved-plan schema: no schema for action kinds ${missing.join(', ')}`);
  return { type: 'object', required: ['kind'], properties: { kind: { type: 'string' } }, discriminator: { propertyName: 'kind' }, oneOf: branches };
}

/** Every field typed, every object closed: a plan's depth is bounded by the schema. */
const validatePlan = lazyValidator(() => {
  const ajv = syncAjv();
  ajv.addSchema(actionSchema(), 'action');
  const action = { $ref: 'action' };
  return ajv.compile({
    type: 'object',
    required: ['plan_id', 'made_at', 'host', 'source', 'ad_users', 'ad_unusable', 'duo_users', 'managed', 'actions', 'held', 'hold_reasons', 'conflicts',
      'drift', 'gone', 'untouched', 'notices', 'basis', 'state_sha256', 'approved', 'approve_id', 'read_complete', 'baseline', 'source_trusted'],
    properties: {
      plan_id: id, made_at: INSTANT, host: id,
      source: { type: 'object', required: ['domain', 'base', 'filter'], properties: { domain: text, base: text, filter: text }, additionalProperties: false },
      ad_users: count, ad_unusable: count, duo_users: count, managed: count,
      actions: { type: 'array', items: action },
      held: { type: 'array', items: action },
      hold_reasons: { type: 'array', items: text },
      conflicts: { type: 'array', items: { type: 'object', required: ['guid', 'username', 'reason'], properties: { guid: id, username: text, reason: text }, additionalProperties: false } },
      drift: {
        type: 'array',
        items: {
          type: 'object', required: ['guid', 'user_id', 'username', 'kind', 'detail', 'policy'],
          properties: { guid: id, user_id: id, username: text, kind: { enum: ['status', 'fields', 'names', 'groups'] }, detail: text, policy: { enum: ['ad-wins', 'report'] } },
          additionalProperties: false,
        },
      },
      gone: { type: 'array', items: { type: 'object', required: ['guid', 'user_id', 'username'], properties: { guid: id, user_id: id, username: text }, additionalProperties: false } },
      untouched: { type: 'array', items: { type: 'object', required: ['guid', 'username', 'reason'], properties: { guid: id, username: text, reason: text }, additionalProperties: false } },
      notices: { type: 'array', items: text },
      basis: { type: 'object', additionalProperties: text },
      state_sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      approved: { type: ['string', 'null'] },
      approve_id: { type: ['string', 'null'] },
      source_trusted: { type: 'boolean' },
      read_complete: { type: 'boolean' },
      baseline: { type: 'boolean' },
      digest: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    },
    additionalProperties: false,
  });
});
