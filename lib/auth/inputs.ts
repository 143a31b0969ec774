/** Request bodies of the access-control API (people, tokens, the first admin's setup). */
import { z } from 'zod';
import { ROLES } from './roles';

const email = z.email({ error: 'expected an email address' }).max(254);
const personName = z.string().trim().min(1, 'expected a name').max(100);
/** As better-auth's sign-in requires (server/auth/auth.ts). */
export const password = z.string().min(12, 'expected at least 12 characters').max(256, 'expected at most 256 characters');
const role = z.enum(ROLES, { error: 'expected viewer, editor or admin' });

export const setupInputSchema = z.strictObject({
  token: z.string().min(1).max(200),
  email,
  name: personName,
  password,
});

export const userCreateSchema = z.strictObject({ email, name: personName, role, password });

export const userPatchSchema = z
  .strictObject({ role: role.optional(), password: password.optional() })
  .refine((v) => v.role !== undefined || v.password !== undefined, { message: 'expected role or password' });

export const tokenCreateSchema = z.strictObject({
  name: z.string().trim().min(1, 'expected a name').max(100),
  role,
  /** Days until it stops working; null for a token that does not expire. */
  expiresInDays: z.number().int().min(1).max(3650).nullable().default(90),
});
