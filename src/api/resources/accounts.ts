/** `/v1/account` (the account the key belongs to) and `POST /v1/accounts/{id}` (its profile and branding). */
import { errors } from '../../lib/errors.ts';
import { parseParams } from '../../lib/params.ts';
import { accountUpdateShape, retrieveAccount, updateAccount } from '../../billing/account.ts';
import { pathParam, type Routes } from '../router.ts';

export function registerAccounts(r: Routes): void {
  r.get('/v1/account', (ctx, params) => {
    parseParams({}, params);
    return retrieveAccount(ctx);
  });
  r.get('/v1/accounts/:id', async (ctx, params, c) => {
    parseParams({}, params);
    const account = await retrieveAccount(ctx);
    if (account.id !== pathParam(c, 'id')) throw errors.resourceMissing('account', pathParam(c, 'id'));
    return account;
  });
  r.post('/v1/accounts/:id', (ctx, params, c) => updateAccount(ctx, pathParam(c, 'id'), parseParams(accountUpdateShape, params)));
}
