import { diffSummary, type FieldChange, type TenantChange, type TenantDiff } from '../../duo/tenant/tenant-diff.js';
import { counted } from '../progress.js';
import { TRASHED } from '../../duo/api/users-api.js';

/** The differences user by user, the Trash apart, and a one-line summary. */
export function renderTenantDiffText(diff: TenantDiff, before: string, after: string, includeTrash: boolean): string {
  const lines = [`tenant diff ${before} → ${after}`];
  for (const change of diff.changes) lines.push(`  ${describeChange(change)}`);
  if (diff.trash.length > 0) {
    lines.push(`in the Trash${includeTrash ? '' : ' (gone: not counted; --include-trash counts them)'}:`);
    for (const { user, until } of diff.trash) lines.push(`  ${user.username} (${user.user_id})${until ? ` in Trash until ${until} at the latest` : ''}`);
  }
  lines.push(diff.changes.length === 0 ? 'no differences' : `${counted(diff.changes.length, 'difference')}: ${diffSummary(diff.changes)}`);
  return lines.join('\n') + '\n';
}

function describeChange(change: TenantChange): string {
  if ('group' in change) return `${change.kind === 'group created' ? '+' : '-'} group "${change.group}" ${change.kind.split(' ')[1]}`;
  const who = `${change.user.username} (${change.user.user_id})`;
  if (!('changes' in change)) {
    if (change.kind === 'deleted') return `- ${who} deleted${change.user.status === TRASHED ? ' (sent to the Trash)' : ''}`;
    return `+ ${who} ${change.kind === 'created' ? 'created' : 'restored from the Trash'}`;
  }
  return `~ ${who}: ${change.changes.map(describeField).join('; ')}`;
}

function describeField({ field, before, after }: FieldChange): string {
  if (field === 'group' || field === 'phone') return before === '' ? `+ ${field} ${after}` : `- ${field} ${before}`;
  return `${field} ${before === '' ? '(none)' : JSON.stringify(before)} → ${after === '' ? '(none)' : JSON.stringify(after)}`;
}
