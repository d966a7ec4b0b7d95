import { describe, expect, it } from '@jest/globals';
import { fakeDuoPerTest } from '../helpers/fake-client.js';

const fake = fakeDuoPerTest();

const create = (username: string, aliases?: string) => ({ method: 'POST', path: '/admin/v1/users', body: { username, ...(aliases ? { aliases } : {}) } });

// The fake is our model of Duo's bulk endpoint: these pin down what it believes (see its header).
describe('the fake\'s /admin/v1/bulk', () => {
  it('takes operations as a JSON array (Postman) or as a JSON string of one (Ruby client)', async () => {
    await fake.client.post('/admin/v1/bulk', { operations: [create('a', 'alias1=a%40x')] });
    await fake.client.post('/admin/v1/bulk', { operations: JSON.stringify([create('b')]) });
    expect(fake.duo.byUsername().get('a')!.aliases).toEqual({ alias1: 'a@x' });
    expect(fake.duo.byUsername().has('b')).toBe(true);
  });

  it('applies operations in order, each on its own, and lists their results', async () => {
    const { response } = await fake.client.post('/admin/v1/bulk', { operations: JSON.stringify([create('a'), create('A'), create('c')]) });
    expect((response as { status: string }[]).map((r) => r.status)).toEqual(['OK', 'FAIL', 'OK']);
    expect([...fake.duo.byUsername().keys()].sort()).toEqual(['a', 'c']);
  });

  it('refuses more than 50 operations and unknown methods or paths, applying none', async () => {
    const many = Array.from({ length: 51 }, (_, i) => create(`u${i}`));
    await expect(fake.client.post('/admin/v1/bulk', { operations: JSON.stringify(many) })).rejects.toMatchObject({ status: 400, detail: 'operations' });
    await expect(fake.client.post('/admin/v1/bulk', { operations: JSON.stringify([create('a'), { method: 'PUT', path: '/admin/v1/users', body: {} }]) }))
      .rejects.toMatchObject({ status: 400, detail: 'operations' });
    await expect(fake.client.post('/admin/v1/bulk', { operations: JSON.stringify([{ method: 'POST', path: '/admin/v1/groups', body: { name: 'g' } }]) }))
      .rejects.toMatchObject({ status: 400 });
    expect(fake.duo.users.size).toBe(0);
  });

  it('answers as told: a bare OK, or the endpoint refused', async () => {
    fake.duo.bulkAnswer = 'ok';
    expect(await fake.client.post('/admin/v1/bulk', { operations: JSON.stringify([create('a')]) })).toEqual({ response: undefined });
    fake.duo.bulkAnswer = 'refused';
    await expect(fake.client.post('/admin/v1/bulk', { operations: JSON.stringify([create('b')]) })).rejects.toMatchObject({ status: 404 });
    expect(fake.duo.users.size).toBe(1);
  });
});
