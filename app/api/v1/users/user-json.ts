import type { UserRecord } from '@/db/queries/users';

export function userJson(u: UserRecord) {
  return { id: u.id, email: u.email, name: u.name, role: u.role, providers: u.providers, createdAt: u.createdAt.toISOString() };
}
