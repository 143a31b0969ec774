/** Form pieces the admin panels share: a field's error, and the role picker. */
import { ROLES, type Role } from '../../lib/auth/roles';
import css from './admin.module.css';

export function FieldError({ id, message, testId }: { id: string; message?: string; testId?: string }) {
  if (!message) return null;
  return (
    <span className={css.error} id={id} role="alert" data-testid={testId}>
      {message}
    </span>
  );
}

export function RoleSelect({ id, name, value, onChange }: { id?: string; name?: string; value: Role; onChange(role: Role): void }) {
  return (
    <select id={id} name={name} className={css.select} value={value} onChange={(e) => onChange(e.target.value as Role)}>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </select>
  );
}
