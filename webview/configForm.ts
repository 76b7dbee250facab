/**
 * The run configuration form: one field per setting of a run, checked as the user types against
 * the same bounds the host applies to settings; the Train button sends only a valid form.
 */
import * as l10n from '@vscode/l10n';
import { FORM_FIELDS, type FormConfig, type FormField } from '../src/protocol/webviewProtocol';
import { TRAIN_SETTINGS, type TrainSetting } from '../src/protocol/runConfig';
import { choiceLabel, settingText } from './settingText';

/** Why `raw` is not a valid value of `field`, or null; `value` is the parsed value when valid. */
export function checkField(field: FormField, raw: string): { value: string | number; error: null } | { value: null; error: string } {
  const bound: TrainSetting = TRAIN_SETTINGS[field];
  if ('choices' in bound) {
    return bound.choices.includes(raw) ? { value: raw, error: null } : { value: null, error: l10n.t('choose one of {0}', bound.choices.map(choiceLabel).join(', ')) };
  }
  const text = raw.trim();
  const [min, max] = [bound.min.toLocaleString('en'), bound.max.toLocaleString('en')];
  const whole = () => l10n.t('a whole number from {0} to {1}', min, max);
  if (text === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return { value: null, error: bound.integer ? whole() : l10n.t('a number from {0} to {1}', min, max) };
  const n = Number(text);
  if (bound.integer && !Number.isInteger(n)) return { value: null, error: whole() };
  if (n < bound.min || n > bound.max) return { value: null, error: l10n.t('must be from {0} to {1}', min, max) };
  return { value: n, error: null };
}

interface FieldView {
  field: FormField;
  input: HTMLElement & { value: string; invalid?: boolean };
  error: HTMLElement;
}

export class ConfigForm {
  private readonly fields: FieldView[] = [];
  private readonly trainButton: HTMLElement;
  private readonly summary: HTMLElement;
  private training = false;

  constructor(
    private readonly root: HTMLElement,
    onTrain: (config: FormConfig) => void,
    onSave: () => void,
    onLoad: () => void,
    onSaveSettings: (config: FormConfig) => void = () => undefined,
  ) {
    const grid = document.createElement('div');
    grid.className = 'form-grid';
    // Selects collect their options' labels when the options arrive: they must be in the document by then.
    root.append(grid);
    for (const field of FORM_FIELDS) {
      const bound: TrainSetting = TRAIN_SETTINGS[field];
      const id = `form-${field}`;
      const shown = settingText(field);
      const label = document.createElement('label');
      label.htmlFor = id;
      label.textContent = shown.label;
      label.title = shown.hint;
      const choices = 'choices' in bound ? bound.choices : null;
      const input = document.createElement(choices ? 'vscode-single-select' : 'vscode-textfield') as unknown as FieldView['input'];
      if (!('choices' in bound)) input.setAttribute('inputmode', bound.integer ? 'numeric' : 'decimal');
      input.id = id;
      input.dataset.field = field;
      input.title = shown.hint;
      // The <label> cannot reach the component's inner input or list: the component names them from `label`.
      (input as { label?: string }).label = label.textContent;
      const error = document.createElement('span');
      error.className = 'field-error';
      error.id = `${id}-error`;
      error.setAttribute('role', 'alert');
      const cell = document.createElement('div');
      cell.className = 'form-field';
      cell.append(label, input, error);
      grid.appendChild(cell);
      if (choices) fillChoices(input, choices);
      const view = { field, input, error };
      input.addEventListener('input', () => this.validate());
      input.addEventListener('change', () => this.validate());
      this.fields.push(view);
    }
    const actions = document.createElement('div');
    actions.className = 'form-actions';
    this.trainButton = button('form-train', l10n.t('Train with these settings'), false, l10n.t('Train on the file in the editor with the settings above'));
    const keep = button('save-settings', l10n.t('Save as Workspace Settings'), true, l10n.t('Write these values to this workspace\'s lstmLab.train.* settings, which the palette\'s Train uses'));
    const save = button('save-checkpoint', l10n.t('Save Checkpoint…'), true, l10n.t('Save the current model, optimizer state and metrics to a file'));
    const load = button('load-checkpoint', l10n.t('Load Checkpoint…'), true, l10n.t('Load a saved model; it answers hovers on the active file'));
    this.summary = document.createElement('span');
    this.summary.className = 'muted form-summary';
    this.summary.setAttribute('role', 'status');
    actions.append(this.trainButton, keep, save, load, this.summary);
    root.append(actions);
    this.trainButton.addEventListener('click', () => {
      const config = this.validate();
      if (config) onTrain(config);
    });
    // Inside a closed <details> the options have no rendered text, which is what a select shows:
    // they are given again when it opens.
    root.closest('details')?.addEventListener('toggle', () => {
      for (const f of this.fields) {
        const bound: TrainSetting = TRAIN_SETTINGS[f.field];
        if (!('choices' in bound)) continue;
        fillChoices(f.input, bound.choices, f.input.value);
      }
    });
    keep.addEventListener('click', () => {
      const config = this.validate();
      if (config) onSaveSettings(config);
    });
    save.addEventListener('click', onSave);
    load.addEventListener('click', onLoad);
  }

  /** Fills the form (e.g. with the shown run's settings); the user's unsent edits are replaced. */
  set(config: FormConfig): void {
    for (const f of this.fields) {
      const value = String(config[f.field]);
      // A select may not have collected its options yet: mark the option too, which it reads when it does.
      for (const o of f.input.querySelectorAll('vscode-option')) o.toggleAttribute('selected', o.getAttribute('value') === value);
      f.input.value = value;
    }
    this.validate();
  }

  /** Marks each invalid field with its reason; returns the configuration when all are valid. */
  validate(): FormConfig | null {
    const config: Partial<Record<FormField, string | number>> = {};
    let errors = 0;
    for (const f of this.fields) {
      const r = checkField(f.field, f.input.value ?? '');
      f.error.textContent = r.error ?? '';
      f.input.invalid = r.error !== null;
      if (r.error === null) {
        f.input.removeAttribute('aria-invalid');
        config[f.field] = r.value;
      } else {
        f.input.setAttribute('aria-invalid', 'true');
        errors++;
      }
    }
    this.root.dataset.invalid = String(errors);
    this.summary.textContent = errors === 0 ? '' : errors === 1 ? l10n.t('1 setting is not valid') : l10n.t('{0} settings are not valid', errors);
    if (errors > 0 || this.training) this.trainButton.setAttribute('disabled', '');
    else this.trainButton.removeAttribute('disabled');
    return errors === 0 ? (config as FormConfig) : null;
  }

  /** Training or not: the form's Train button is off while a run goes. */
  setTraining(training: boolean): void {
    this.training = training;
    this.root.dataset.training = String(training);
    this.validate();
  }
}

function fillChoices(select: HTMLElement, choices: readonly string[], selected?: string): void {
  select.replaceChildren(...choices.map((c) => {
    const o = document.createElement('vscode-option');
    o.setAttribute('value', c);
    o.toggleAttribute('selected', c === selected);
    o.textContent = choiceLabel(c);
    return o;
  }));
}

function button(id: string, text: string, secondary: boolean, title: string): HTMLElement {
  const b = document.createElement('vscode-button');
  b.id = id;
  b.textContent = text;
  b.title = title;
  if (secondary) b.setAttribute('secondary', '');
  return b;
}
