// Preloaded (node --import) into a duo-bridge run under test: writes the process's peak RSS (KiB)
// to $DUO_BRIDGE_RSS_FILE as it exits, so a test bounds memory honestly without a clock.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.DUO_BRIDGE_RSS_FILE) writeFileSync(process.env.DUO_BRIDGE_RSS_FILE, String(process.resourceUsage().maxRSS));
});
