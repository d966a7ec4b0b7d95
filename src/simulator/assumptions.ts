/**
 * What the simulator (and the tests' fake Duo, which is the same code) believes about Duo's Admin API.
 * It is a model: every behaviour that no official source confirms is listed here with its source and
 * how sure we are, and duo-bridge's code never relies on one of them without reading Duo back.
 * `duo-bridge simulator` prints this list at start and in --help.
 */
export interface Belief {
  readonly behaviour: string;
  readonly source: string;
  readonly confidence: 'confirmed' | 'medium' | 'low';
}

export const CONFIRMED: readonly Belief[] = [
  { behaviour: 'v5 request signatures (HMAC-SHA512), POST parameters in a JSON body', source: 'Duo\'s official clients; the tests check the simulator with @duosecurity/duo_api', confidence: 'confirmed' },
  { behaviour: 'v2 signatures (HMAC-SHA1 or -SHA512 over the form-encoded parameters) and v4 (JSON bodies) are accepted too', source: 'duo_client_python 4.5 (Debian) signs v2 with SHA-1 by default; @duosecurity/duo_api defaults to v2 with SHA-512; the client suite drives both', confidence: 'confirmed' },
  { behaviour: 'deleting a user that is already deleted does nothing (answered OK)', source: 'duo_client_python\'s delete_user docstring', confidence: 'confirmed' },
  { behaviour: 'POST /admin/v1/users takes the legacy alias1..alias4 parameters or aliases, never both; username is required (400, 40001)', source: 'duo_client_python add_user, Postman', confidence: 'confirmed' },
  { behaviour: 'HTTP 429 with code 42901 and no Retry-After when a rate limit is hit', source: 'Duo\'s clients\' back-off code', confidence: 'confirmed' },
  { behaviour: 'usernames and aliases share one namespace, compared case-insensitively', source: 'Duo\'s Postman collection, duo.com/docs/importing-users', confidence: 'confirmed' },
  { behaviour: 'GET /admin/v1/users pages with limit/offset (at most 300) and metadata.next_offset', source: 'Postman, duo_client_python', confidence: 'confirmed' },
  { behaviour: 'bulk_send_to_trash/bulk_restore take user_id_list as a JSON string; GET /admin/v1/settings has pending_deletion_days', source: 'Postman, duo_api_ruby, duo_client_python', confidence: 'confirmed' },
  { behaviour: 'groups (list ≤ 500 a page, create, add/remove member), phones (create with number/extension/type/platform, find by number, attach, detach, delete, send_sms_activation), users/enroll', source: 'duo_client_python, duo_api_ruby, Postman', confidence: 'confirmed' },
  { behaviour: '100 groups and 100 phones per user, 100 users per phone; past a limit: HTTP 500, code 50001', source: 'duo.com/docs/rate-limits', confidence: 'confirmed' },
  { behaviour: 'hardware tokens: GET /admin/v1/tokens (paged; with type and serial a list of 0 or 1), GET/DELETE /admin/v1/tokens/{id} (deleting a deleted token does nothing), POST /admin/v1/tokens (h6/h8 with secret, t6/t8 with secret and totp_step, yk with private_id and aes_key), a user\'s tokens listed, attached with token_id and detached; the token object has type, serial, token_id, totp_step and users', source: 'duo_client_python admin.py (get_tokens_by_serial, add_user_token, delete_user_token, add_hotp6_token …)', confidence: 'confirmed' },
];

export const ASSUMED: readonly Belief[] = [
  { behaviour: 'limit must be a whole number from 1 (at most 300 for users, 500 for groups and phones) and offset a whole number; anything else (limit=0, limit=abc, offset=-5) is refused with HTTP 400, code 40002', source: 'the documented ranges; what Duo answers outside them is unconfirmed', confidence: 'low' },
  { behaviour: 'GET /admin/v1/users?email= answers the users with that email (any case); ?user_id_list= those users, as a JSON array or a repeated key', source: 'Postman, duo_client_python 5 (get_users_by_ids); the case rule is unconfirmed', confidence: 'medium' },
  { behaviour: 'an endpoint this model does not serve answers HTTP 501, code 50100, "Not modelled" (Duo itself would answer 404 for a path it lacks): U2F keys, WebAuthn credentials and logins are not modelled and every user has none', source: 'a choice of this simulator, so a rehearsal never takes a missing endpoint for a missing object', confidence: 'confirmed' },
  { behaviour: 'd1 (Duo-D100) is a token type code besides h6, h8, t6, t8 and yk, and Duo\'s Import Users CSV writes typeN with these codes (its example: 101222,h6)', source: 'duo.com/docs/importing-users example; d1 from third-party Duo PowerShell modules (Duo-D100)', confidence: 'medium' },
  { behaviour: 'a hardware token is attached to one user at a time: attaching one another user holds is refused with HTTP 400, code 40002; 100 tokens per user', source: 'none (the token object lists users; duo-bridge reads the token\'s users and never attaches a held token, so it does not depend on this)', confidence: 'low' },
  { behaviour: 'a token\'s serial is matched exactly (case and leading zeros count) and its type code in lower case', source: 'none (duo-bridge sends the serial as the CSV has it)', confidence: 'low' },
  { behaviour: 'username_list matches aliases as well as usernames', source: 'Duo\'s docs wording quoted by third-party scripts', confidence: 'medium' },
  { behaviour: 'bulk_create is all-or-nothing, at most 100 users, only the documented user keys, and answers the created users', source: 'third-party fakes and a summary of Duo\'s API reference', confidence: 'medium' },
  { behaviour: 'usernames are stored lower-cased; aliases as given', source: 'third-party issue threads', confidence: 'low' },
  { behaviour: 'the aliases parameter "alias1=a&alias2=b" is form-decoded; an empty value removes that alias', source: 'a summary of Duo\'s API reference', confidence: 'medium' },
  { behaviour: 'an alias equal to the user\'s own username, or a name another user holds, is refused with HTTP 400 code 40002', source: 'the namespace rule; the exact code is unconfirmed', confidence: 'medium' },
  { behaviour: 'a trashed user keeps its names, is still returned with status "pending deletion", and trashing it again is harmless', source: 'Duo community posts on the Trash', confidence: 'low' },
  { behaviour: 'username_list answers fit one page of the default limit (100)', source: 'none (duo-bridge follows next_offset anyway)', confidence: 'low' },
  { behaviour: 'POST /admin/v1/bulk takes operations as a JSON array or a JSON string of one, at most 50, applies them in order and each on its own, and answers one result per operation', source: 'Postman "Bulk User Operations", duo_api_ruby; the limit from a third-party summary', confidence: 'low' },
  { behaviour: 'a phone number without "+" is read as a US number (+1 prepended); dashes, spaces, dots and brackets are ignored', source: 'Duo text quoted by a third party (docs.blinkops.com)', confidence: 'medium' },
  { behaviour: 'creating a phone whose number and extension another phone has is refused with HTTP 400', source: 'none (duo-bridge looks the number up first)', confidence: 'low' },
  { behaviour: 'group names are unique, compared case-insensitively', source: 'none', confidence: 'low' },
  { behaviour: 'adding a membership or phone the user already has is answered OK; removing one it lacks is answered 404', source: 'none (duo-bridge reads back, and counts 404 on removal as done)', confidence: 'low' },
  { behaviour: 'a group a directory sync manages ends its name with (from AD sync "NAME"), as the Admin Panel shows it', source: 'Admin Panel screenshots in community posts; whether the API name has the suffix is unconfirmed', confidence: 'low' },
  { behaviour: 'users/enroll accepts an existing user without phones and only sends the email', source: 'none (it may create users or refuse existing ones; duo-bridge reports Duo\'s refusal per row)', confidence: 'low' },
  { behaviour: 'send_sms_activation needs a mobile phone', source: 'the endpoint\'s purpose', confidence: 'medium' },
  { behaviour: 'a user\'s created (Unix seconds) is the time Duo applied the create, on the clock its Date header shows; a write is applied within the client\'s timeout of being sent, or never', source: 'the user object\'s fields (duo_client_python docstrings); the timing is none (duo-bridge claims an unanswered create only inside that window, ±2 s)', confidence: 'low' },
  { behaviour: 'bulk_restore sets a trashed user active again', source: 'none (duo-bridge reads the user back and sets the row\'s status itself)', confidence: 'low' },
  { behaviour: 'a user in the Trash can still authenticate, with its memberships, until it is purged', source: 'Duo community (t/12617); duo-bridge disables users before trashing them', confidence: 'medium' },
  { behaviour: 'a username or alias is at most 100 characters (MAX_NAME_LENGTH); a longer one is refused with HTTP 400, code 40002, and validate, import, sync and snapshots hold names to the same limit', source: 'no official source states one (duo-admin-api.md §5); a third-party module checks 1..100 (mbegan/Duo-PSModule PR #20)', confidence: 'low' },
  { behaviour: 'a request body over 8 MiB is refused with HTTP 413 before it is read, and credentials (integration key, Date) are checked on the headers before any body is read', source: 'none: Duo\'s body limit is unpublished; 8 MiB holds the largest body duo-bridge sends (bulk_create, 100 users, every field at its limit)', confidence: 'low' },
  { behaviour: 'a request target that is not a URL (//[, //a:99999999/x) is answered HTTP 400, code 40002', source: 'HTTP semantics (RFC 9110 §15.5.1); Duo\'s exact answer is unconfirmed', confidence: 'medium' },
  { behaviour: 'the user listing\'s metadata.total_objects is the number of users the tenant holds, Trash included', source: 'Duo\'s paged responses carry total_objects (Postman, duo_client_python); for users it is unconfirmed (sync.md) — sync holds deprovisioning when a listing returns fewer users than it says, and checks nothing when Duo does not say', confidence: 'medium' },
];

/** How many behaviours the model assumes (the banner says the number; --help lists them). */
export const ASSUMPTION_COUNT = ASSUMED.length;

/** The list as text, for the simulator's --help. */
export function describeAssumptions(): string {
  return ASSUMED.map((b) => `  - ${b.behaviour} (source: ${b.source}; confidence: ${b.confidence})`).join('\n');
}
