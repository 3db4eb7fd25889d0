import { Router } from 'express';
import { createToken, listTokens, revokeToken } from '../../app/tokens.js';
import { requireScope } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { tokenToDto } from '../dto.js';

/** /api/v1/tokens: API tokens, managed with an admin token. The secret is shown once, at creation. */
export function tokensRouter(ctx: ApiDeps): Router {
  const r = Router();
  const admin = requireScope(ctx, 'admin');

  r.post('/', admin, async (req, res) => {
    const { token, secret } = await createToken(ctx, req.body);
    res.status(201).json({ ...tokenToDto(token), token: secret });
  });

  r.get('/', admin, async (_req, res) => {
    res.json({ tokens: (await listTokens(ctx)).map(tokenToDto) });
  });

  r.delete('/:id', admin, async (req, res) => {
    await revokeToken(ctx, req.params.id);
    res.status(204).end();
  });

  return r;
}
