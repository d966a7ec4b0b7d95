import { describe, expect, it } from '@jest/globals';
import { plainText, slackMessage, teamsCard, type Notification } from '../../../src/notify/notification.js';
import { validTeamsCard } from '../../helpers/adaptive-card.js';

const message: Notification = {
  subject: 'duo-bridge sync on api-1.duosecurity.com: held: 12 destructive actions wait for approval',
  tone: 'bad',
  summary: 'A safeguard held destructive actions.',
  sections: [{ title: 'Held: 12 destructive actions (12 disable)', lines: ['_jdoe_: disable (disabled in AD)', 'a<b>&c: disable ([x](http://evil))'] }],
  commands: [{ label: 'To approve', command: "/usr/bin/duo-bridge sync --config /etc/duo-bridge/sync.json --state '/var/lib/duo bridge/s.json' --apply --approve 0123456789ab --yes" }],
  facts: [['Duo tenant', 'api-1.duosecurity.com'], ['ran as', 'svc-duo on sync01']],
  json: { notification: { event: 'alert' } },
};

describe('one message, rendered for each channel', () => {
  it('plain text (the email): the command alone on its line, copyable whole', () => {
    const text = plainText(message);
    expect(text).toContain(`\n    ${message.commands[0]!.command}\n`);
    expect(text).toMatch(/^A safeguard held destructive actions\.\n\nHeld: 12 destructive actions \(12 disable\):\n {2}_jdoe_: disable/);
    expect(text).toContain('ran as: svc-duo on sync01');
  });

  it('Teams: a Workflows message with an Adaptive Card 1.4 that has the schema\'s required fields; user values escaped as Markdown, the command verbatim in monospace', () => {
    const card = teamsCard(message);
    expect(validTeamsCard(card)).toEqual([]);
    const body = (card as any).attachments[0].content.body as any[];
    expect(body.map((b) => b.text ?? '').join('\n')).toContain('\\_jdoe\\_: disable');
    expect(body.map((b) => b.text ?? '').join('\n')).toContain('\\[x\\]\\(http://evil\\)');
    expect(body.find((b) => b.fontType === 'Monospace').text).toBe(message.commands[0]!.command);
  });

  it('Slack: text plus blocks; &, < and > escaped; the command in a code block', () => {
    const slack = slackMessage(message) as any;
    expect(slack.text).toBe(message.subject);
    const all = JSON.stringify(slack.blocks);
    expect(all).toContain('a&amp;lt;b&amp;gt;&amp;amp;c'.replace(/&amp;/g, '&'));
    expect(all).not.toContain('a<b>');
    expect(slack.blocks.find((b: any) => b.text?.text?.startsWith('*To approve*')).text.text).toBe(`*To approve*\n\`\`\`${message.commands[0]!.command}\`\`\``);
    expect(slack.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
  });
});
