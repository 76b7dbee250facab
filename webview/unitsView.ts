/**
 * The result of Find Units Tracking Pattern, under the gates: the units whose activation follows
 * the matches best, with their correlation and mean activation on and off the matches. "Show on
 * text" paints a unit's activation on the trained file.
 */
import type { UnitSearchView } from '../src/protocol/webviewProtocol';

export interface UnitRefView {
  layer: number;
  name: string;
  unit: number;
}

export class UnitsView {
  constructor(
    private readonly root: HTMLElement,
    private readonly pattern: HTMLElement,
    private readonly note: HTMLElement,
    private readonly body: HTMLElement,
    private readonly show: (unit: UnitRefView) => void,
  ) {}

  set(search: UnitSearchView | null): void {
    this.root.hidden = !search;
    this.root.dataset.units = String(search?.units.length ?? 0);
    if (!search) {
      this.body.replaceChildren();
      return;
    }
    this.pattern.textContent = search.pattern;
    const share = ((100 * search.positives) / Math.max(search.tokens, 1)).toFixed(1);
    this.note.textContent = `Correlation (Pearson r) of each unit's activation with the matches, over ${search.tokens.toLocaleString('en')} tokens ` +
      `(${share}% inside a match)${search.truncated ? ', read from the start of the file' : ''}. Near ±1: the unit switches with the pattern; negative: it is low inside.`;
    this.body.replaceChildren(...search.units.map((u) => {
      const tr = document.createElement('tr');
      const cells = [`layer ${u.layer + 1} · ${u.name} · unit ${u.unit}`, u.r.toFixed(2), u.inside.toFixed(2), u.outside.toFixed(2)].map((text) => {
        const td = document.createElement('td');
        td.textContent = text;
        return td;
      });
      const button = document.createElement('vscode-button');
      button.setAttribute('secondary', '');
      button.textContent = 'Show on text';
      button.setAttribute('aria-label', `Show layer ${u.layer + 1} ${u.name} unit ${u.unit} on the text`);
      button.addEventListener('click', () => this.show({ layer: u.layer, name: u.name, unit: u.unit }));
      const action = document.createElement('td');
      action.append(button);
      tr.dataset.unit = `${u.layer}:${u.name}:${u.unit}`;
      tr.append(...cells, action);
      return tr;
    }));
  }
}
