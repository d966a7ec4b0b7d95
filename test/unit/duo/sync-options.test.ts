import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSyncConfig, overridesOf, resolveSyncSettings } from '../../../src/duo/sync/sync-options.js';
import { UsageError } from '../../../src/errors.js';
import { REPO } from '../../helpers/run-cli.js';
import { tmpFiles } from '../../helpers/tmp-files.js';

const config = (data: unknown) => join(tmpFiles({ 'sync.json': JSON.stringify(data) }), 'sync.json');

describe('sync options', () => {
  it('reads the template config, and the options resolve with their defaults', async () => {
    const template = await loadSyncConfig(join(REPO, 'templates', 'sync.config.json'));
    expect(template['alias-attr']).toEqual(['mail']);
    const settings = await resolveSyncSettings({ 'from-ldif': 'ad.ldif', ca: undefined }, {}, { ...template, url: undefined, ca: undefined, 'bind-dn': undefined, base: undefined, filter: undefined });
    expect(settings.policy.thresholds.trash).toEqual({ count: 5, percent: 2 });
    expect(settings.policy.thresholds.disable).toEqual({ count: 10, percent: 5 });
    expect(settings.policy.drift.status).toBe('report');
    expect([...settings.policy.protectUsers]).toEqual(['breakglass-admin', 'svc-monitoring']);
    expect(settings.policy.mappedGroups).toEqual(['VPN Users']);
    expect(settings.directory.selection.includeDisabled).toBe(true);
  });

  it('refuses what a sync cannot honour, naming the key', async () => {
    await expect(loadSyncConfig(config({ 'trash-after-day': 3 }))).rejects.toThrow(/unknown key "trash-after-day"/);
    await expect(loadSyncConfig(config({ 'drift-status': 'ignore' }))).rejects.toThrow(/drift-status/);
    await expect(loadSyncConfig(config({ skey: 'x' }))).rejects.toThrow(/secrets do not belong in a config file/);
    await expect(loadSyncConfig(config({ out: 'users.csv' }))).rejects.toThrow(/unknown key "out"/);
    await expect(resolveSyncSettings({ 'from-ldif': 'a.ldif', 'include-disabled': true }, {})).rejects.toThrow(/sync always reads disabled accounts/);
    await expect(resolveSyncSettings({ 'from-ldif': 'a.ldif', 'threshold-percent': '101' }, {})).rejects.toThrow(UsageError);
    await expect(resolveSyncSettings({ 'from-ldif': 'a.ldif' }, {}, { 'phone-attr': ['mobile'] })).rejects.toThrow(/sync does not manage phones/);
    expect(() => overridesOf({ 'max-disables': 'many' })).toThrow(/--max-disables must be a whole number/);
    expect(overridesOf({ 'max-disables': '25', 'max-renames': '0' })).toEqual({ kinds: { disable: 25, rename: 0 } });
    // A shrink or a source change is lifted only by its own flag, for the run that gives it.
    expect(overridesOf({ 'max-shrink-percent': '50', 'accept-source-change': true })).toEqual({ shrinkPercent: 50, sourceChange: true });
  });

  it('ships a Task Scheduler definition as schtasks writes one (UTF-16 with a BOM) and a systemd timer', () => {
    const xml = readFileSync(join(REPO, 'templates', 'duo-bridge-sync.task.xml'));
    expect([xml[0], xml[1]]).toEqual([0xff, 0xfe]);
    const text = xml.toString('utf16le');
    expect(text).toMatch(/<MultipleInstancesPolicy>IgnoreNew<\/MultipleInstancesPolicy>/);
    expect(text).toMatch(/sync --config .* --apply --yes --summary-json/);
    // The executable the MSI installs (issue 31), not npx: Node is rarely on the servers that run it.
    expect(text).toMatch(/<Command>"C:\\Program Files\\duo-bridge\\duo-bridge\.exe"<\/Command>/);
    expect(readFileSync(join(REPO, 'templates', 'duo-bridge-sync.timer'), 'utf8')).toMatch(/^OnCalendar=\*-\*-\* 02:00:00$/m);
    expect(readFileSync(join(REPO, 'templates', 'duo-bridge-sync.service'), 'utf8')).toMatch(/ExecStart=.*sync --config .* --apply --yes/);
  });
});

describe('sync options: hostile values', () => {
  it('reads a --config that starts with a byte-order mark', async () => {
    const path = join(tmpFiles({ 'sync.json': '\ufeff' + JSON.stringify({ 'from-ldif': 'ad.ldif', 'username-attr': 'mail' }) }), 'sync.json');
    const settings = await resolveSyncSettings({}, {}, await loadSyncConfig(path));
    expect(settings.directory.mapping.usernameAttribute).toBe('mail');
  });

  it('an empty username-attr (config or flag) or state is a usage error naming the key, never an "in sync" run', async () => {
    await expect(resolveSyncSettings({ 'from-ldif': 'ad.ldif' }, {}, { 'username-attr': '' })).rejects.toThrow(UsageError);
    await expect(resolveSyncSettings({ 'from-ldif': 'ad.ldif' }, {}, { 'username-attr': '' })).rejects.toThrow(/"username-attr" in --config\) is empty/);
    await expect(resolveSyncSettings({ 'from-ldif': 'ad.ldif', 'username-attr': '' }, {})).rejects.toThrow(/--username-attr .* is empty/);
    await expect(resolveSyncSettings({ 'from-ldif': 'ad.ldif', state: '' }, {})).rejects.toThrow(/--state .* is empty/);
  });
});
