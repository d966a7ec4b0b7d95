import { describe, expect, it } from '@jest/globals';
import { DuoRequestError } from '../../src/errors.js';
import { fakeDuoPerTest } from '../helpers/fake-client.js';

const fake = fakeDuoPerTest();

// The fake is our model of Duo's group, phone and enroll endpoints: these pin down what it believes (see its header).
describe('the fake\'s groups, phones and enrollment', () => {
  it('phones: a number without + is a US number, separators ignored; type and platform checked; a second phone of one number refused', async () => {
    const { response } = await fake.client.post('/admin/v1/phones', { number: '734-555-0100', type: 'mobile', platform: 'apple ios' });
    expect(response).toMatchObject({ number: '+17345550100', type: 'mobile', platform: 'apple ios', users: [] });
    await expect(fake.client.post('/admin/v1/phones', { number: '+17345550100' })).rejects.toBeInstanceOf(DuoRequestError);
    await expect(fake.client.post('/admin/v1/phones', { number: '+17345550101', type: 'pager' })).rejects.toMatchObject({ status: 400, detail: 'type' });
    await expect(fake.client.post('/admin/v1/phones', { number: '+17345550101', platform: 'iphone' })).rejects.toMatchObject({ status: 400, detail: 'platform' });
    const found = await fake.client.get('/admin/v1/phones', { number: '+17345550100' });
    expect(found.response).toHaveLength(1);
  });

  it('a user\'s 101st group or phone is refused with HTTP 500 code 50001, which the client reports as a refusal', async () => {
    const groups = Array.from({ length: 101 }, (_, i) => fake.duo.seedGroup(`G${i}`));
    const user = fake.duo.seed({ username: 'full', groups: groups.slice(0, 100).map((g) => g.group_id) });
    await expect(fake.client.post(`/admin/v1/users/${user.user_id}/groups`, { group_id: groups[100]!.group_id })).rejects.toMatchObject({ status: 500, duoCode: 50001 });
    // Adding a membership the user has is answered OK and changes nothing.
    await fake.client.post(`/admin/v1/users/${user.user_id}/groups`, { group_id: groups[0]!.group_id });
    expect(user.groups).toHaveLength(100);
    for (let i = 0; i < 100; i++) fake.duo.seedPhone(`+1555000${String(i).padStart(4, '0')}`, [user.user_id]);
    const extra = fake.duo.seedPhone('+15559999999');
    await expect(fake.client.post(`/admin/v1/users/${user.user_id}/phones`, { phone_id: extra.phone_id })).rejects.toMatchObject({ status: 500, duoCode: 50001 });
  });

  it('removing a membership or phone the user lacks is 404; deleting a phone takes it off its users', async () => {
    const group = fake.duo.seedGroup('Staff');
    const user = fake.duo.seed({ username: 'ann' });
    await expect(fake.client.delete(`/admin/v1/users/${user.user_id}/groups/${group.group_id}`)).rejects.toMatchObject({ status: 404 });
    const phone = fake.duo.seedPhone('+15550000001', [user.user_id]);
    await fake.client.delete(`/admin/v1/phones/${phone.phone_id}`);
    expect(user.phones).toEqual([]);
    await expect(fake.client.delete(`/admin/v1/users/${user.user_id}/phones/${phone.phone_id}`)).rejects.toMatchObject({ status: 404 });
  });

  it('enroll needs an existing user without a phone; group names are unique; memberships travel in bulk operations', async () => {
    await expect(fake.client.post('/admin/v1/users/enroll', { username: 'nobody', email: 'n@x' })).rejects.toMatchObject({ status: 404 });
    const user = fake.duo.seed({ username: 'ann' });
    await fake.client.post('/admin/v1/users/enroll', { username: 'ANN', email: 'ann@x' });
    expect(fake.duo.enrollments).toEqual([{ username: 'ANN', email: 'ann@x' }]);
    const { response } = await fake.client.post('/admin/v1/groups', { name: 'Staff' });
    await expect(fake.client.post('/admin/v1/groups', { name: 'staff' })).rejects.toMatchObject({ status: 400 });
    const groupId = (response as { group_id: string }).group_id;
    await fake.client.post('/admin/v1/bulk', { operations: JSON.stringify([{ method: 'POST', path: `/admin/v1/users/${user.user_id}/groups`, body: { group_id: groupId } }]) });
    expect(fake.duo.groupNamesOf(user)).toEqual(['Staff']);
    const view = await fake.client.get(`/admin/v1/users/${user.user_id}`);
    expect(view.response).toMatchObject({ groups: [{ group_id: groupId, name: 'Staff' }] });
  });
});
