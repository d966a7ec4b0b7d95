/**
 * One message to the people who look after a job, whatever carries it (an email, a Teams or Slack
 * webhook, plain JSON). Built by the job that has news; rendered here for each channel. Nothing in
 * it may be a secret: it is mailed, posted and may be kept by the receiver for ever.
 */
export interface Notification {
  /** One line: what happened and where (an email's subject, a card's title). */
  readonly subject: string;
  /** How it reads at a glance: bad news, something to look at, or good news. */
  readonly tone: 'bad' | 'warning' | 'good';
  /** A sentence or two under the subject. */
  readonly summary: string;
  readonly sections: readonly NotificationSection[];
  /** Commands a person pastes, each exactly as it works. */
  readonly commands: readonly { readonly label: string; readonly command: string }[];
  /** Label and value: the tenant, the source, the state, who ran it, the report. */
  readonly facts: readonly (readonly [string, string])[];
  /** What a plain JSON webhook receives as its body. */
  readonly json: Readonly<Record<string, unknown>>;
}

export interface NotificationSection {
  readonly title: string;
  readonly lines: readonly string[];
}

/** The message as plain text: an email's body (commands on lines of their own, to copy whole). */
export function plainText(n: Notification): string {
  const out: string[] = [n.summary, ''];
  for (const section of n.sections) {
    out.push(`${section.title}:`, ...section.lines.map((line) => `  ${line}`), '');
  }
  for (const c of n.commands) out.push(`${c.label}:`, '', `    ${c.command}`, '');
  for (const [label, value] of n.facts) out.push(`${label}: ${value}`);
  return `${out.join('\n').trimEnd()}\n`;
}

/**
 * A Teams Workflows body ("Send webhook alerts to a channel"): a message with one Adaptive Card
 * attachment, card version 1.4 (what Teams renders). Commands in monospace blocks; the text of
 * TextBlocks is Markdown in Teams, so user values are escaped.
 */
export function teamsCard(n: Notification): Record<string, unknown> {
  const block = (text: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'TextBlock', text, wrap: true, ...extra });
  const body: Record<string, unknown>[] = [
    block(markdownText(n.subject), { size: 'Medium', weight: 'Bolder', color: n.tone === 'bad' ? 'Attention' : n.tone === 'warning' ? 'Warning' : 'Good' }),
    block(markdownText(n.summary)),
  ];
  for (const section of n.sections) {
    body.push(block(markdownText(section.title), { weight: 'Bolder', spacing: 'Medium' }));
    body.push(block(section.lines.map((line) => `- ${markdownText(line)}`).join('\n')));
  }
  for (const c of n.commands) {
    body.push(block(markdownText(c.label), { weight: 'Bolder', spacing: 'Medium' }));
    body.push(block(c.command, { fontType: 'Monospace' }));
  }
  if (n.facts.length > 0) body.push({ type: 'FactSet', facts: n.facts.map(([title, value]) => ({ title, value: markdownText(value) })) });
  return {
    type: 'message',
    attachments: [{
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body, msteams: { width: 'Full' } },
    }],
  };
}

/** A Slack incoming-webhook body: `text` for notifications and clients without blocks, then blocks. */
export function slackMessage(n: Notification): Record<string, unknown> {
  const section = (text: string): Record<string, unknown> => ({ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } });
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: n.subject.slice(0, 150), emoji: false } },
    section(slackText(n.summary)),
  ];
  for (const s of n.sections) blocks.push(section(`*${slackText(s.title)}*\n${s.lines.map((line) => `• ${slackText(line)}`).join('\n')}`));
  for (const c of n.commands) blocks.push(section(`*${slackText(c.label)}*\n\`\`\`${c.command.replace(/```/g, '`\u200b``')}\`\`\``));
  if (n.facts.length > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: n.facts.map(([label, value]) => `${slackText(label)}: ${slackText(value)}`).join(' · ').slice(0, 3000) }] });
  return { text: slackText(n.subject), blocks };
}

/** Slack's mrkdwn: &, < and > are its control characters, escaped as HTML entities. */
function slackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Teams renders TextBlock text as Markdown: a username like `_a_` or a `[link](…)` is escaped. */
function markdownText(text: string): string {
  return text.replace(/([\\`*_{}[\]()#+!|<>~])/g, '\\$1');
}
