import type { ReactNode } from "react";
import { ActionForm, type ActionFormProps } from "./action-form";

// Form pieces the console's pages share: the GET filter form above a list, its select fields,
// and the required reason every audited action asks for.

/** A page's filter (or search) form: GET to the page itself, its fields, the submit button, then `after` (a "clear" link). */
export function FilterForm({ action, label, role, submitLabel = "Filter", after, children }: { action: string; label: string; role?: "search"; submitLabel?: string; after?: ReactNode; children: ReactNode }) {
  return (
    <form className="filters panel" method="get" action={action} role={role} aria-label={label}>
      {children}
      <button type="submit">{submitLabel}</button>
      {after}
    </form>
  );
}

export interface Option {
  value: string | number;
  label: string;
}

/** A labelled select: a filter's (whose first option, value "", is "no filter") or an action's `required` choice. */
export function SelectField({
  id,
  label,
  name,
  options,
  defaultValue,
  required,
}: {
  id: string;
  label: string;
  name: string;
  options: readonly Option[];
  defaultValue?: string;
  required?: boolean;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} name={name} defaultValue={defaultValue} required={required}>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Each value as an option labelled by itself. */
export const valueOptions = (values: readonly string[]): Option[] => values.map((value) => ({ value, label: value }));

/** The reason an audited action requires (3 to 500 characters, as the API checks), sent as `reason`. */
export function ReasonField({ id, label = "Reason" }: { id: string; label?: string }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} name="reason" type="text" required minLength={3} maxLength={500} autoComplete="off" />
    </div>
  );
}

/** A row's action behind a disclosure (`summary`): a form that asks only for the reason. */
export function ReasonAction({ summary, reasonId, ...form }: Omit<ActionFormProps, "children" | "title"> & { summary: string; reasonId: string }) {
  return (
    <details>
      <summary>{summary}</summary>
      <ActionForm {...form}>
        <ReasonField id={reasonId} />
      </ActionForm>
    </details>
  );
}
