/** A Duo CSV of `count` users u00001… with an email alias each (every third also a second alias). */
export function usersCsv(count: number, start = 1): string {
  const lines = ['username,realname,email,alias1,alias2'];
  for (let i = start; i < start + count; i++) {
    const name = `u${String(i).padStart(5, '0')}`;
    lines.push(`${name},User ${i},${name}@example.com,${name}@example.com,${i % 3 === 0 ? `${name}.alt@example.org` : ''}`);
  }
  return lines.join('\n') + '\n';
}
