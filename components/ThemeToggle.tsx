/**
 * System / light / dark as a three-way radio group in the header: one Tab stop, arrow keys choose
 * (native radios), the choice is visible at a glance. Props only; lib/client/use-theme.ts applies it.
 */
import type { ThemeChoice } from "../lib/client/ui-prefs";

export interface ThemeToggleProps {
  value: ThemeChoice;
  onChange: (theme: ThemeChoice) => void;
}

const CHOICES: { id: ThemeChoice; label: string; icon: string }[] = [
  { id: "system", label: "System", icon: "◐" },
  { id: "light", label: "Light", icon: "☀" },
  { id: "dark", label: "Dark", icon: "☾" },
];

export function ThemeToggle({ value, onChange }: ThemeToggleProps) {
  return (
    <fieldset className="theme-toggle" data-testid="theme-toggle" data-state={value}>
      <legend className="sr-only">Colour theme</legend>
      {CHOICES.map((c) => (
        <label key={c.id} className={value === c.id ? "on" : ""} title={`${c.label} theme`}>
          <input type="radio" name="theme" value={c.id} checked={value === c.id} onChange={() => onChange(c.id)} data-testid={`theme-${c.id}`} className="sr-only" />
          <span aria-hidden="true">{c.icon}</span>
          <span className="sr-only">{c.label}</span>
        </label>
      ))}
    </fieldset>
  );
}
