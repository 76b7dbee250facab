/**
 * package.json's settings as it ships them: every text of `settingsContribution()` replaced by a
 * `%key%` placeholder that VS Code resolves through package.nls.json (English) or
 * package.nls.<locale>.json. `npm run settings` writes both from here and
 * test/unit/settingsSchema.test.ts fails when either drifts from the tables. No `vscode` import.
 */
import { settingsContribution, type SettingContribution, type SettingsGroup } from './settingsSchema';

/** Every generated key starts with this; other package.nls.json keys are written by hand. */
export const SETTINGS_NLS_PREFIX = 'lstmLab.';

export interface LocalizedSettings {
  /** `contributes.configuration` with placeholders. */
  configuration: SettingsGroup[];
  /** The English text of each placeholder's key, in package.json order. */
  english: Record<string, string>;
}

/**
 * Keys: `lstmLab.settings.<group>.title` for a group, `lstmLab.<setting>.description` for its
 * text and `lstmLab.<setting>.enum.<value>` for what each of its choices means.
 */
export function localizedSettings(groups: SettingsGroup[] = settingsContribution()): LocalizedSettings {
  const english: Record<string, string> = {};
  const placeholder = (key: string, text: string): string => {
    english[key] = text;
    return `%${key}%`;
  };
  const configuration = groups.map((g): SettingsGroup => {
    const title = placeholder(`${SETTINGS_NLS_PREFIX}settings.${g.id.replace(/^lstmLab\./, '')}.title`, g.title);
    const properties: Record<string, SettingContribution> = {};
    for (const [key, p] of Object.entries(g.properties)) {
      const out: SettingContribution = { ...p };
      if (typeof p.markdownDescription === 'string') out.markdownDescription = placeholder(`${key}.description`, p.markdownDescription);
      if (Array.isArray(p.enum) && Array.isArray(p.enumDescriptions)) {
        const values = p.enum as string[];
        out.enumDescriptions = (p.enumDescriptions as string[]).map((text, i) => placeholder(`${key}.enum.${values[i]}`, text));
      }
      properties[key] = out;
    }
    return { ...g, title, properties };
  });
  return { configuration, english };
}

/**
 * package.nls.json with the generated keys replaced by `english`: they take the place of the
 * first generated key (or go at the end), the hand-written keys keep theirs.
 */
export function mergeSettingsNls(nls: Record<string, string>, english: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = {};
  let placed = false;
  const place = () => {
    if (!placed) Object.assign(merged, english);
    placed = true;
  };
  for (const [key, text] of Object.entries(nls)) {
    if (key.startsWith(SETTINGS_NLS_PREFIX)) place();
    else merged[key] = text;
  }
  place();
  return merged;
}
