/**
 * The run configuration form: one field per setting of a run, checked as the user types against
 * the same bounds the host applies to settings; the Train button sends only a valid form.
 */
import { FORM_FIELDS, type FormConfig, type FormField } from '../src/protocol/webviewProtocol';
import { isChoice, TRAIN_FIELDS, TRAIN_SETTINGS, type TrainSetting } from '../src/protocol/runConfig';

/** Display label of each choice of every choice field, from the configuration table. */
const CHOICE_LABELS: Record<string, string> = Object.fromEntries(
  TRAIN_FIELDS.flatMap((f) => {
    const s: TrainSetting = TRAIN_SETTINGS[f];
    return isChoice(s) ? s.choices.map((c, k) => [c, s.choiceLabels[k]]) : [];
  }),
);

/** Why `raw` is not a valid value of `field`, or null; `value` is the parsed value when valid. */
export function checkField(field: FormField, raw: string): { value: string | number; error: null } | { value: null; error: string } {
  const bound: TrainSetting = TRAIN_SETTINGS[field];
  if ('choices' in bound) {
    return bound.choices.includes(raw) ? { value: raw, error: null } : { value: null, error: `choose one of ${bound.choices.join(', ')}` };
  }
  const text = raw.trim();
  const range = `${bound.min.toLocaleString('en')} to ${bound.max.toLocaleString('en')}`;
  if (text === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return { value: null, error: bound.integer ? `a whole number from ${range}` : `a number from ${range}` };
  const n = Number(text);
  if (bound.integer && !Number.isInteger(n)) return { value: null, error: `a whole number from ${range}` };
  if (n < bound.min || n > bound.max) return { value: null, error: `must be from ${range}` };
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
      const label = document.createElement('label');
      label.htmlFor = id;
      label.textContent = TRAIN_SETTINGS[field].label;
      label.title = TRAIN_SETTINGS[field].hint;
      const choices = 'choices' in bound ? bound.choices : null;
      const input = document.createElement(choices ? 'vscode-single-select' : 'vscode-textfield') as unknown as FieldView['input'];
      if (!('choices' in bound)) input.setAttribute('inputmode', bound.integer ? 'numeric' : 'decimal');
      input.id = id;
      input.dataset.field = field;
      input.title = TRAIN_SETTINGS[field].hint;
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
    this.trainButton = button('form-train', 'Train with these settings', false, 'Train on the file in the editor with the settings above');
    const keep = button('save-settings', 'Save as Workspace Settings', true, 'Write these values to this workspace\'s lstmLab.train.* settings, which the palette\'s Train uses');
    const save = button('save-checkpoint', 'Save Checkpoint…', true, 'Save the current model, optimizer state and metrics to a file');
    const load = button('load-checkpoint', 'Load Checkpoint…', true, 'Load a saved model; it answers hovers on the active file');
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
    this.summary.textContent = errors === 0 ? '' : `${errors} setting${errors === 1 ? ' is' : 's are'} not valid`;
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
    o.textContent = CHOICE_LABELS[c] ?? c;
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
