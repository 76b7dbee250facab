/**
 * The result of Find Units Tracking Pattern, under the gates: the units whose activation follows
 * the matches best, with their correlation and mean activation on and off the matches. "Show on
 * text" paints a unit's activation on the trained file.
 */
import * as l10n from '@vscode/l10n';
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
    const tokens = search.tokens.toLocaleString('en');
    this.note.textContent = search.truncated
      ? l10n.t('Correlation (Pearson r) of each unit\'s activation with the matches, over {0} tokens ({1}% inside a match), read from the start of the file. Near ±1: the unit switches with the pattern; negative: it is low inside.', tokens, share)
      : l10n.t('Correlation (Pearson r) of each unit\'s activation with the matches, over {0} tokens ({1}% inside a match). Near ±1: the unit switches with the pattern; negative: it is low inside.', tokens, share);
    this.body.replaceChildren(...search.units.map((u) => {
      const tr = document.createElement('tr');
      const cells = [l10n.t('layer {0} · {1} · unit {2}', u.layer + 1, u.name, u.unit), u.r.toFixed(2), u.inside.toFixed(2), u.outside.toFixed(2)].map((text) => {
        const td = document.createElement('td');
        td.textContent = text;
        return td;
      });
      const button = document.createElement('vscode-button');
      button.setAttribute('secondary', '');
      button.textContent = l10n.t('Show on text');
      button.setAttribute('aria-label', l10n.t('Show layer {0} {1} unit {2} on the text', u.layer + 1, u.name, u.unit));
      button.addEventListener('click', () => this.show({ layer: u.layer, name: u.name, unit: u.unit }));
      const action = document.createElement('td');
      action.append(button);
      tr.dataset.unit = `${u.layer}:${u.name}:${u.unit}`;
      tr.append(...cells, action);
      return tr;
    }));
  }
}
