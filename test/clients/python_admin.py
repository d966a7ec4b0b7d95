"""The calls an admin's own script makes with Duo's official Python client (duo_client, from
Debian's python3-duo-client), against `duo-bridge simulator`. Prints what each call answered as one
JSON object; test/clients/official-clients.test.ts asserts Duo's documented answers.

Environment: SIM_HOST, SIM_PORT, SIM_IKEY, SIM_SKEY, SIM_CA (a PEM path, or HTTP for plain HTTP),
SIM_SIG (2 or 4), SIM_DIGEST (sha1 or sha512, for v2)."""
import hashlib
import json
import os

import duo_client

env = os.environ
options = dict(ikey=env['SIM_IKEY'], skey=env['SIM_SKEY'], host=env['SIM_HOST'], port=int(env['SIM_PORT']),
               ca_certs=env['SIM_CA'], sig_version=int(env.get('SIM_SIG', '2')))
if env.get('SIM_DIGEST') == 'sha512' or options['sig_version'] == 4:
    options['digestmod'] = hashlib.sha512
admin = duo_client.Admin(**options)


def error_of(call):
    try:
        call()
    except RuntimeError as error:
        return {'status': getattr(error, 'status', None), 'message': str(error)}
    return None


out = {'client': duo_client.__version__ if hasattr(duo_client, '__version__') else 'unknown'}
out['users'] = len(admin.get_users())
out['by_name'] = [u['username'] for u in admin.get_users_by_name('user007')]
out['by_alias'] = [u['username'] for u in admin.get_users_by_name('alias.user007')]
out['missing'] = admin.get_users_by_name('nobody-here')

created = admin.add_user('py.created', realname='Py Created', email='py.created@corp.example',
                         alias1='py.alias', alias2='py.created@old.example')
out['created'] = {k: created.get(k) for k in ('username', 'realname', 'email', 'alias1', 'alias2', 'aliases', 'status')}
user_id = created['user_id']
updated = admin.update_user(user_id, realname='Py Renamed', notes='a note with spaces & symbols = %')
out['updated'] = {k: updated.get(k) for k in ('realname', 'notes', 'aliases')}
out['taken_alias'] = error_of(lambda: admin.add_user('py.other', alias1='py.alias'))
out['both_alias_forms'] = error_of(lambda: admin.json_api_call('POST', '/admin/v1/users', {'username': 'py.both', 'alias1': 'a', 'aliases': 'alias2=b'}))

phone = admin.add_phone(number='+15555550100', type='mobile', platform='google android')
admin.add_user_phone(user_id, phone['phone_id'])
out['user_phones'] = [p['number'] for p in admin.get_user_phones(user_id)]
out['phones_by_number'] = [p['phone_id'] == phone['phone_id'] for p in admin.get_phones_by_number('+15555550100')]
group = admin.create_group('Py Group')
admin.add_user_group(user_id, group['group_id'])
out['user_groups'] = [g['name'] for g in admin.get_user_groups(user_id)]
admin.delete_user_group(user_id, group['group_id'])
out['user_groups_after'] = [g['name'] for g in admin.get_user_groups(user_id)]
out['tokens'] = admin.get_user_tokens(user_id)
hotp = admin.add_hotp6_token('101222', '3132333435363738393031323334353637383930')
totp = admin.add_totp8_token('T-77', '3132333435363738393031323334353637383930')
out['token_created'] = {k: hotp.get(k) for k in ('type', 'serial', 'users')}
out['totp_step'] = totp.get('totp_step')
out['token_by_serial'] = [t['token_id'] == hotp['token_id'] for t in admin.get_tokens_by_serial('h6', '101222')]
out['token_wrong_type'] = admin.get_tokens_by_serial('h8', '101222')
out['token_twice'] = error_of(lambda: admin.add_hotp6_token('101222', '00'))
out['token_no_secret'] = error_of(lambda: admin.json_api_call('POST', '/admin/v1/tokens', {'type': 'h6', 'serial': 'x'}))
admin.add_user_token(user_id, hotp['token_id'])
out['user_tokens'] = [t['serial'] for t in admin.get_user_tokens(user_id)]
out['token_users'] = [u['username'] for u in admin.get_token_by_id(hotp['token_id'])['users']]
out['all_tokens'] = sorted(t['serial'] for t in admin.get_tokens())
out['user_object_tokens'] = [t['serial'] for t in admin.get_user_by_id(user_id)['tokens']]
admin.delete_user_token(user_id, hotp['token_id'])
out['user_tokens_after'] = admin.get_user_tokens(user_id)
out['detach_twice'] = error_of(lambda: admin.delete_user_token(user_id, hotp['token_id']))
admin.delete_token(totp['token_id'])
out['delete_token_twice'] = error_of(lambda: admin.delete_token(totp['token_id']))
fetched = admin.get_user_by_id(user_id)
out['fields'] = sorted(k for k in ('last_login', 'tokens', 'u2ftokens', 'webauthncredentials', 'created', 'is_enrolled', 'phones', 'groups') if k in fetched)

out['no_username'] = error_of(lambda: admin.json_api_call('POST', '/admin/v1/users', {'realname': 'x'}))
out['limit_zero'] = error_of(lambda: admin.json_api_call('GET', '/admin/v1/users', {'limit': '0'}))
out['limit_abc'] = error_of(lambda: admin.json_api_call('GET', '/admin/v1/users', {'limit': 'abc'}))
out['offset_negative'] = error_of(lambda: admin.json_api_call('GET', '/admin/v1/users', {'offset': '-5'}))
out['not_modelled'] = error_of(lambda: admin.json_api_call('GET', '/admin/v1/integrations', {}))
out['unknown_user'] = error_of(lambda: admin.get_user_by_id('DUNOSUCHUSER000000000'))

admin.delete_phone(phone['phone_id'])
admin.delete_user(user_id)
out['second_delete'] = error_of(lambda: admin.delete_user(user_id))
out['after_delete'] = admin.get_users_by_name('py.created')
out['users_after'] = len(admin.get_users())
print(json.dumps(out))
