/**
 * The sequence-to-sequence form: the model (cell, layers, size, attention, direction, tokens),
 * the beam width of decodings and the training time, checked with the host's own validation;
 * Train on the file in the editor, or train it without and then with attention to compare.
 */
import * as l10n from '@vscode/l10n';
import { CELL_TYPES, TOKEN_MODES } from '../src/protocol/runConfig';
import { parseSeq2SeqForm, SEQ2SEQ_LAYERS, type Seq2SeqForm } from '../src/protocol/seq2seqPanel';
import { EDITOR_SETTINGS } from '../src/protocol/settingsSchema';
import { choiceLabel } from './settingText';

type Field = keyof Seq2SeqForm;
type Input = HTMLElement & { value: string; checked?: boolean; invalid?: boolean };

/** The choices of each select field, with their labels. */
function choicesOf(field: Field): { value: string; label: string }[] | null {
  switch (field) {
    case 'cell': return CELL_TYPES.map((c) => ({ value: c, label: choiceLabel(c) }));
    case 'layers': return SEQ2SEQ_LAYERS.map((n) => ({ value: String(n), label: String(n) }));
    case 'attention': return EDITOR_SETTINGS['seq2seq.attention'].choices.map((c) => ({ value: c, label: attentionLabel(c) }));
    case 'tokens': return TOKEN_MODES.map((t) => ({ value: t, label: choiceLabel(t) }));
    default: return null;
  }
}

function attentionLabel(kind: string): string {
  switch (kind) {
    case 'none': return l10n.t('none');
    case 'dot': return l10n.t('dot (Luong)');
    default: return l10n.t('additive (Bahdanau)');
  }
}

/** Each field's label and tooltip. */
function textOf(field: Field): { label: string; hint: string } {
  switch (field) {
    case 'cell': return { label: l10n.t('Cell'), hint: l10n.t('The recurrent cell of the encoder and the decoder') };
    case 'layers': return { label: l10n.t('Layers'), hint: l10n.t('Stacked layers in the encoder and in the decoder') };
    case 'hidden': return { label: l10n.t('Hidden units'), hint: l10n.t('Units per layer, a multiple of 8') };
    case 'attention': return { label: l10n.t('Attention'), hint: l10n.t('How the decoder looks back at the encoder\'s states; none leaves only the final state') };
    case 'bidirectional': return { label: l10n.t('Bidirectional encoder'), hint: l10n.t('A second encoder reads the source backwards') };
    case 'tokens': return { label: l10n.t('Tokens'), hint: l10n.t('Characters or words') };
    case 'beam': return { label: l10n.t('Beam width'), hint: l10n.t('Beam width of the decodings in hovers and the card (1 is greedy)') };
    case 'maxSeconds': return { label: l10n.t('Seconds'), hint: l10n.t('Training time; a run can be stopped sooner') };
  }
}

const FIELDS: Field[] = ['cell', 'layers', 'hidden', 'attention', 'bidirectional', 'tokens', 'beam', 'maxSeconds'];

export class Seq2SeqFormView {
  private readonly inputs = new Map<Field, Input>();
  private readonly train: HTMLElement;
  private readonly compare: HTMLElement;
  private readonly problem: HTMLElement;
  private training = false;

  constructor(private readonly root: HTMLElement, onTrain: (form: Seq2SeqForm) => void, onCompare: () => void) {
    const grid = document.createElement('div');
    grid.className = 'form-grid';
    root.append(grid);
    for (const field of FIELDS) {
      const { label: name, hint } = textOf(field);
      const id = `s2s-form-${field}`;
      const choices = choicesOf(field);
      const tag = field === 'bidirectional' ? 'vscode-checkbox' : choices ? 'vscode-single-select' : 'vscode-textfield';
      const input = document.createElement(tag) as Input;
      input.id = id;
      input.dataset.field = field;
      input.title = hint;
      (input as { label?: string }).label = name;
      const cell = document.createElement('div');
      cell.className = 'form-field';
      if (field === 'bidirectional') input.textContent = name;
      else {
        const label = document.createElement('label');
        label.htmlFor = id;
        label.textContent = name;
        label.title = hint;
        cell.append(label);
        if (!choices) input.setAttribute('inputmode', 'numeric');
      }
      cell.append(input);
      grid.append(cell);
      if (choices) fill(input, choices);
      input.addEventListener('input', () => this.validate());
      input.addEventListener('change', () => this.validate());
      this.inputs.set(field, input);
    }
    const actions = document.createElement('div');
    actions.className = 'form-actions';
    this.train = button('s2s-form-train', l10n.t('Train on the file in the editor'), false, l10n.t('Train a sequence-to-sequence model on the file of pairs in the editor with these settings'));
    this.compare = button('s2s-form-compare', l10n.t('Compare with and without attention'), true,
      l10n.t('Train on the file without attention and then with the settings\' attention (dot when they say none), one after the other, and draw both'));
    this.problem = document.createElement('span');
    this.problem.className = 'muted form-summary';
    this.problem.setAttribute('role', 'status');
    actions.append(this.train, this.compare, this.problem);
    root.append(actions);
    this.train.addEventListener('click', () => {
      const form = this.validate();
      if (form) onTrain(form);
    });
    this.compare.addEventListener('click', () => {
      if (!this.training) onCompare();
    });
    // A select inside a closed <details> shows nothing until its options are given again.
    root.closest('details')?.addEventListener('toggle', () => {
      for (const [field, input] of this.inputs) {
        const choices = choicesOf(field);
        if (choices) fill(input, choices, input.value);
      }
    });
  }

  /** The settings' values (the user's unsent edits are replaced). */
  set(form: Seq2SeqForm): void {
    for (const [field, input] of this.inputs) {
      const value = form[field];
      if (typeof value === 'boolean') input.checked = value;
      else {
        for (const o of input.querySelectorAll('vscode-option')) o.toggleAttribute('selected', o.getAttribute('value') === String(value));
        input.value = String(value);
      }
    }
    this.validate();
  }

  /** The form when valid (checked as the host checks it); otherwise null, with the reason shown. */
  validate(): Seq2SeqForm | null {
    const raw: Record<string, unknown> = {};
    for (const [field, input] of this.inputs) {
      if (field === 'bidirectional') raw[field] = input.checked === true;
      else if (field === 'cell' || field === 'attention' || field === 'tokens') raw[field] = input.value;
      else raw[field] = /^\s*\d+\s*$/.test(input.value ?? '') ? Number(input.value) : NaN;
    }
    const r = parseSeq2SeqForm(raw);
    const bad = r.ok ? undefined : (/^form\.(\w+)/.exec(r.reason)?.[1] as Field | undefined);
    for (const [field, input] of this.inputs) {
      input.invalid = field === bad;
      if (field === bad) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
    this.problem.textContent = r.ok ? '' : boundText(bad);
    this.root.dataset.invalid = r.ok ? '0' : '1';
    for (const b of [this.train, this.compare]) b.toggleAttribute('disabled', !r.ok || this.training);
    return r.ok ? r.form : null;
  }

  /** While a sequence-to-sequence run trains, the form's buttons are off. */
  setTraining(training: boolean): void {
    this.training = training;
    this.root.dataset.training = String(training);
    this.validate();
  }
}

/** What a field must be, said to the user. */
function boundText(field: Field | undefined): string {
  const hidden = EDITOR_SETTINGS['seq2seq.hiddenSize'];
  const beam = EDITOR_SETTINGS['seq2seq.beam'];
  const seconds = EDITOR_SETTINGS['seq2seq.maxSeconds'];
  switch (field) {
    case 'hidden': return l10n.t('Hidden units: a multiple of 8 from {0} to {1}', hidden.min, hidden.max);
    case 'beam': return l10n.t('Beam width: a whole number from {0} to {1}', beam.min, beam.max);
    case 'maxSeconds': return l10n.t('Seconds: a whole number from {0} to {1}', seconds.min, seconds.max);
    default: return l10n.t('A setting is not valid');
  }
}

function fill(select: HTMLElement, choices: { value: string; label: string }[], selected?: string): void {
  select.replaceChildren(...choices.map((c) => {
    const o = document.createElement('vscode-option');
    o.setAttribute('value', c.value);
    o.toggleAttribute('selected', c.value === selected);
    o.textContent = c.label;
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
