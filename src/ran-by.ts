import { hostname, userInfo } from 'node:os';

/** The account and machine a run is under, for messages and the record. */
export function ranBy(): { readonly account: string; readonly machine: string } {
  let account = 'unknown';
  try {
    account = userInfo().username;
  } catch {
    account = process.env.USERNAME ?? process.env.USER ?? 'unknown';
  }
  return { account, machine: hostname() };
}
