import { z } from 'zod';

export const MAX_PAGE = 100;

/** `?limit=&cursor=` for every list route. */
export const pageQuery = z.object({
  limit: z.coerce
    .number({ error: `limit must be a whole number 1-${MAX_PAGE}` })
    .int({ error: `limit must be a whole number 1-${MAX_PAGE}` })
    .min(1, { error: `limit must be a whole number 1-${MAX_PAGE}` })
    .max(MAX_PAGE, { error: `limit must be a whole number 1-${MAX_PAGE}` })
    .default(20),
  cursor: z.string({ error: 'cursor must be given once' }).max(2048, { error: 'cursor is not valid' }).optional(),
});
