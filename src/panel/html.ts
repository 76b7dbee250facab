/**
 * The loss panel's HTML. Pure (`vscode` only as a type) so it can be rendered and checked in a
 * plain browser test; the host passes in what it gets from `webview.cspSource`, `asWebviewUri` and
 * `vscode.l10n`. The element ids here are the ones webview/view.ts looks up.
 */
import { randomBytes } from 'node:crypto';
import type * as vscode from 'vscode';

export interface PanelHtmlOptions {
  /** `webview.cspSource`: where styles, images and fonts may come from. */
  cspSource: string;
  /** From `makeNonce()`, fresh for every render; the only way a script may run. */
  nonce: string;
  /** The webview bundle, dist/webview.js. */
  scriptUri: string;
  /** Stylesheets in cascade order: dist/uPlot.min.css, then media/panel.css. */
  styleUris: string[];
  title?: string;
  /** `vscode.l10n`: the skeleton's texts in the display language; English without it. */
  l10n?: Pick<typeof vscode.l10n, 't'>;
  /** `vscode.l10n.bundle`, embedded for the webview's own texts (webview/l10n.ts); none for English. */
  bundle?: Record<string, string>;
  /** `vscode.env.language`, the page's `lang`. */
  language?: string;
}

/** `vscode.l10n.t` without a bundle: the message itself, its {N} replaced. */
const ENGLISH: Pick<typeof vscode.l10n, 't'> = {
  t: ((message: string, ...args: unknown[]) => message.replace(/\{(\d+)\}/g, (m, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : m))) as typeof vscode.l10n.t,
};

/** 128 random bits as hex: valid in a CSP nonce and safe inside an attribute. */
export function makeNonce(): string {
  return randomBytes(16).toString('hex');
}

export function renderPanelHtml(opts: PanelHtmlOptions): string {
  if (!/^[A-Za-z0-9+/_=-]{16,}$/.test(opts.nonce)) throw new Error('nonce must be at least 16 base64 characters');
  // A ';' would end the directive and let the caller's string add new ones.
  if (/[;,"<>\r\n]/.test(opts.cspSource)) throw new Error(`invalid cspSource ${JSON.stringify(opts.cspSource)}`);
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${opts.nonce}'`,
    // No inline styles: uPlot and the components style elements through the CSSOM, which CSP allows.
    `style-src ${opts.cspSource}`,
    `img-src ${opts.cspSource}`,
    `font-src ${opts.cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const l10n = opts.l10n ?? ENGLISH;
  const language = opts.language && /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(opts.language) ? opts.language : 'en';
  // An attribute, escaped like any other: the page's one script stays the only <script>.
  const bundle = opts.bundle ? ` data-l10n="${attr(JSON.stringify(opts.bundle))}"` : '';
  const styles = opts.styleUris.map((uri) => `<link rel="stylesheet" href="${attr(uri)}">`).join('\n    ');
  return `<!DOCTYPE html>
<html lang="${attr(language)}"${bundle}>
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    ${styles}
    <title>${text(opts.title ?? 'LSTM Lab')}</title>
  </head>
  <body>
    <main class="panel">
      <header class="run-header">
        <div class="run-title">
          <h1 id="run-file">LSTM Lab</h1>
          <dl id="run-config" class="run-config"></dl>
        </div>
        <div class="actions">
          <vscode-button id="stop-button" secondary disabled>${text(l10n.t('Stop'))}</vscode-button>
          <vscode-button id="train-button">${text(l10n.t('Train'))}</vscode-button>
        </div>
      </header>
      <section id="empty-state" class="empty-state">
        <p>${markup(l10n.t('Run {0} on an open file to start.', '{0}'), `<strong>${text(l10n.t('LSTM Lab: Train LSTM on File'))}</strong>`)}</p>
      </section>
      <div id="run-view" class="run-view" hidden>
        <div id="status-line" class="status-line">
          <span id="status-state" class="status-state"></span>
          <span id="status-step"></span>
          <span id="status-train"></span>
          <span id="status-val"></span>
          <span id="status-speed"></span>
        </div>
        <p id="status-message" class="status-message" role="status" hidden></p>
        <section class="card chart-card" aria-labelledby="loss-title">
          <div class="card-head">
            <h2 id="loss-title">${text(l10n.t('Loss'))}</h2>
            <ul class="legend">
              <li class="legend-train">${text(l10n.t('train'))}</li>
              <li class="legend-val">${text(l10n.t('validation'))}</li>
            </ul>
            <div class="chart-controls">
              <vscode-checkbox id="loss-bits">${text(l10n.t('bits'))}</vscode-checkbox>
              <vscode-checkbox id="loss-log">${text(l10n.t('log y'))}</vscode-checkbox>
              <vscode-checkbox id="loss-time" title="${attr(l10n.t('Loss over seconds of training instead of steps'))}">${text(l10n.t('time'))}</vscode-checkbox>
              <label class="smoothing">${text(l10n.t('smoothing'))} <input id="loss-smoothing" type="range" min="0" max="0.99" step="0.01" value="0.6"><output id="loss-smoothing-value">0.60</output></label>
              <vscode-button id="export-csv" secondary title="${attr(l10n.t('Save the loss series as CSV'))}">CSV</vscode-button>
              <vscode-button id="export-json" secondary title="${attr(l10n.t('Save the loss series and gradient flow as JSON'))}">JSON</vscode-button>
            </div>
          </div>
          <div class="chart-frame">
            <div id="loss-chart" class="loss-chart" data-train-points="0" data-val-points="0" role="application" tabindex="0" aria-roledescription="${attr(l10n.t('chart'))}" aria-label="${attr(l10n.t('Training and validation loss in {0} by step', l10n.t('nats')))}"></div>
            <p id="chart-placeholder" class="chart-placeholder">${text(l10n.t('Waiting for the first loss values…'))}</p>
          </div>
        </section>
        <section class="card chart-card" aria-labelledby="grad-title">
          <div class="card-head">
            <h2 id="grad-title">${text(l10n.t('Gradient flow through time'))}</h2>
            <ul class="legend">
              <li class="legend-train">${text(l10n.t('hidden h'))}</li>
              <li class="legend-val">${text(l10n.t('cell c'))}</li>
            </ul>
            <span id="grad-step" class="muted"></span>
            <div class="chart-controls">
              <vscode-checkbox id="grad-relative" checked>${text(l10n.t('relative to lag 0'))}</vscode-checkbox>
            </div>
          </div>
          <p class="chart-note">${markup(l10n.t('How much of the last step\'s loss reaches the state {0} steps back (log scale), relative to {0} = 0 or as the norm itself. A steep fall is a vanishing gradient; a rise, an exploding one.', '{0}'), '<em>k</em>')}</p>
          <div class="chart-frame chart-frame-small">
            <div id="grad-chart" class="loss-chart grad-chart" data-lags="0" role="application" tabindex="0" aria-roledescription="${attr(l10n.t('chart'))}" aria-label="${attr(l10n.t('Gradient norm by lag, relative to the last time step'))}"></div>
            <p id="grad-placeholder" class="chart-placeholder">${text(l10n.t('Waiting for the first gradient measurement…'))}</p>
          </div>
          <h3 class="subhead">${text(l10n.t('Over training'))}</h3>
          <div class="heatmap-row">
            <span class="heatmap-axis">${text(l10n.t('lag {0}', 0))}<br>↓<br>${text(l10n.t('lag {0}', 'T−1'))}</span>
            <div id="grad-heatmap" class="heatmap" data-columns="0" data-lags="0" role="application" tabindex="0" aria-roledescription="${attr(l10n.t('heatmap'))}" aria-label="${attr(l10n.t('Gradient norm by lag over training steps, relative to lag 0'))}"></div>
            <span class="heatmap-scale"><span class="scale-bar"></span><span>1</span><span>10⁻⁸</span></span>
          </div>
          <p id="grad-heatmap-caption" class="muted heatmap-caption"></p>
        </section>
        <section class="card chart-card" aria-labelledby="gates-title">
          <div class="card-head">
            <h2 id="gates-title">${text(l10n.t('Gates and states'))}</h2>
            <span id="gates-step" class="muted"></span>
            <div class="chart-controls">
              <vscode-single-select id="gates-layer" aria-label="${attr(l10n.t('Layer'))}"></vscode-single-select>
              <vscode-single-select id="gates-name" aria-label="${attr(l10n.t('Gate or state'))}"></vscode-single-select>
              <vscode-single-select id="gates-order" aria-label="${attr(l10n.t('Order of the units'))}">
                <vscode-option value="unit">${text(l10n.t('by unit'))}</vscode-option>
                <vscode-option value="mean">${text(l10n.t('by mean'))}</vscode-option>
                <vscode-option value="variance">${text(l10n.t('by variance'))}</vscode-option>
                <vscode-option value="saturation">${text(l10n.t('by saturation'))}</vscode-option>
              </vscode-single-select>
            </div>
          </div>
          <p class="chart-note">${text(l10n.t('Each unit (row) over the text around the cursor in the trained file (columns); select text to inspect it instead, click a column to go to that token. Click left of a row (or shift-click it) to pin its unit to the top; click again to unpin.'))}</p>
          <div id="gates-heatmap" class="gates-heatmap" data-tokens="0" data-units="0" role="application" tabindex="0" aria-roledescription="${attr(l10n.t('heatmap'))}" aria-label="${attr(l10n.t('Activations of the chosen gate or state, units by tokens'))}">
            <p id="gates-placeholder" class="chart-placeholder">${text(l10n.t('Move the cursor in the trained file to see its gates.'))}</p>
            <div id="gates-tooltip" class="heatmap-tooltip" hidden></div>
          </div>
          <p id="gates-legend" class="muted heatmap-caption"></p>
          <div id="gates-saturation" class="saturation" data-gates="" hidden>
            <h3 class="subhead">${text(l10n.t('Saturation'))}</h3>
            <p class="chart-note">${text(l10n.t('One point per unit for each gate of the layer: how often it is nearly shut (below 0.1, across) and nearly open (above 0.9, up) over these tokens. Units on the faint diagonal are always one or the other, like switches; near the corner at 0 they work in between.'))}</p>
          </div>
          <div id="units-found" class="units-found" data-units="0" hidden>
            <h3 class="subhead">${markup(l10n.t('Units tracking {0}', '{0}'), '<span id="units-pattern"></span>')}</h3>
            <p id="units-note" class="chart-note"></p>
            <table class="units-table">
              <thead><tr><th scope="col">${text(l10n.t('Unit'))}</th><th scope="col">r</th><th scope="col">${text(l10n.t('On matches'))}</th><th scope="col">${text(l10n.t('Elsewhere'))}</th><th scope="col"><span class="visually-hidden">${text(l10n.t('Actions'))}</span></th></tr></thead>
              <tbody id="units-body"></tbody>
            </table>
          </div>
        </section>
        <section class="card sample-card" aria-labelledby="sample-title">
          <div class="card-head">
            <h2 id="sample-title">${text(l10n.t('Sample'))}</h2>
            <span id="sample-step" class="muted"></span>
            <div class="chart-controls">
              <label class="smoothing">${text(l10n.t('temperature'))} <input id="sample-temperature" type="range" min="0.1" max="2" step="0.05" value="0.8"><output id="sample-temperature-value">0.80</output></label>
              <vscode-button id="sample-button" secondary>${text(l10n.t('Sample'))}</vscode-button>
            </div>
          </div>
          <pre id="sample" class="sample"></pre>
        </section>
      </div>
      <section id="s2s-card" class="card s2s-card" aria-labelledby="s2s-title" hidden>
        <div class="card-head">
          <h2 id="s2s-title">${text(l10n.t('Sequence to sequence'))}</h2>
          <span id="s2s-status" class="muted" role="status"></span>
        </div>
        <p id="s2s-config" class="chart-note"></p>
        <div class="form-actions s2s-actions">
          <vscode-button id="s2s-continue" secondary title="${attr(l10n.t('Train this run\'s model on its file for another while, from where it stopped'))}">${text(l10n.t('Continue Training'))}</vscode-button>
          <vscode-button id="s2s-save" secondary title="${attr(l10n.t('Save this run\'s model, optimizer state and vocabulary to a file'))}">${text(l10n.t('Save Model…'))}</vscode-button>
          <vscode-button id="s2s-load" secondary title="${attr(l10n.t('Load a saved sequence-to-sequence model; it decodes the lines of the active file'))}">${text(l10n.t('Load Checkpoint…'))}</vscode-button>
        </div>
        <h3 class="subhead">${text(l10n.t('Held-out accuracy (greedy decoding)'))}</h3>
        <ul class="legend">
          <li class="legend-train">${text(l10n.t('exact match'))}</li>
          <li class="legend-val">${text(l10n.t('token accuracy'))}</li>
        </ul>
        <ul id="s2s-compare" class="legend overlay-legend s2s-compare" data-runs="0" aria-label="${attr(l10n.t('Earlier runs on this file (exact match, dashed)'))}"></ul>
        <svg id="s2s-accuracy" class="s2s-accuracy" data-points="0" role="application" tabindex="0" aria-roledescription="${attr(l10n.t('chart'))}" aria-label="${attr(l10n.t('Exact match and token accuracy on the held-out pairs over seconds of training'))}"></svg>
        <p id="s2s-accuracy-caption" class="muted heatmap-caption"></p>
        <h3 class="subhead">${text(l10n.t('Sequence-to-sequence runs'))}</h3>
        <table class="runs-table s2s-runs">
          <thead><tr><th scope="col"><span class="visually-hidden">${text(l10n.t('Draw beside the shown run'))}</span></th><th scope="col">${text(l10n.t('Run'))}</th><th scope="col">${text(l10n.t('Status'))}</th><th scope="col">${text(l10n.t('Steps'))}</th><th scope="col">${text(l10n.t('Exact match'))}</th><th scope="col"><span class="visually-hidden">${text(l10n.t('Actions'))}</span></th></tr></thead>
          <tbody id="s2s-runs" data-runs="0"></tbody>
        </table>
        <h3 class="subhead">${text(l10n.t('Training loss'))}</h3>
        <svg id="s2s-loss" class="s2s-loss" data-points="0" role="application" tabindex="0" aria-roledescription="${attr(l10n.t('chart'))}" aria-label="${attr(l10n.t('Mean training loss over seconds of training, in nats per target token'))}"></svg>
        <h3 class="subhead">${text(l10n.t('Where the decoder looks'))}</h3>
        <p id="s2s-attention-title" class="muted"></p>
        <div class="s2s-decode">
          <label for="s2s-source">${text(l10n.t('Decode a source of your own'))}</label>
          <vscode-textfield id="s2s-source" placeholder="${attr(l10n.t('Type a source, then Enter'))}"></vscode-textfield>
          <vscode-button id="s2s-decode" secondary>${text(l10n.t('Decode'))}</vscode-button>
        </div>
        <p class="chart-note">${text(l10n.t('One row per token the model wrote, one column per source token; brighter is more attention. Without attention there is nothing to show: everything the decoder knows of the source passed through the encoder\'s final state.'))}</p>
        <div id="s2s-attention" class="s2s-attention" data-rows="0" data-columns="0" role="application" tabindex="0" aria-roledescription="${attr(l10n.t('heatmap'))}" aria-label="${attr(l10n.t('Attention weights, written tokens by source tokens'))}">
          <div id="s2s-attention-tooltip" class="heatmap-tooltip" hidden></div>
        </div>
        <p id="s2s-attention-caption" class="muted heatmap-caption"></p>
        <h3 class="subhead">${text(l10n.t('Gradient by source position'))}</h3>
        <p class="chart-note">${text(l10n.t('How much of the loss reaches the encoder\'s state at each source position (‖∂L/∂hᵢ‖, the mean over the training steps since the last evaluation). Without attention it reaches the early positions only through the final state.'))}</p>
        <svg id="s2s-grad" class="s2s-grad" data-positions="0" role="application" tabindex="0" aria-roledescription="${attr(l10n.t('chart'))}" aria-label="${attr(l10n.t('Gradient norm reaching each source position'))}"></svg>
        <h3 class="subhead">${text(l10n.t('Held-out examples'))}</h3>
        <table class="s2s-examples">
          <thead><tr><th scope="col"><span class="visually-hidden">${text(l10n.t('Right or wrong'))}</span></th><th scope="col">${text(l10n.t('Source'))}</th><th scope="col">${text(l10n.t('Model'))}</th><th scope="col">${text(l10n.t('Target'))}</th></tr></thead>
          <tbody id="s2s-examples" data-examples="0"></tbody>
        </table>
      </section>
      <details id="s2s-form-card" class="card config-card">
        <summary><h2>${text(l10n.t('Sequence to sequence'))}</h2> <span class="muted">${text(l10n.t('train on a file of pairs: cell, attention, beam… then Train'))}</span></summary>
        <div id="s2s-form" class="config-form" data-invalid="0"></div>
      </details>
      <section class="card runs-card" aria-labelledby="runs-title">
        <div class="card-head">
          <h2 id="runs-title">${text(l10n.t('Runs'))}</h2>
          <span id="runs-note" class="muted"></span>
        </div>
        <table class="runs-table">
          <thead><tr><th scope="col"><span class="visually-hidden">${text(l10n.t('Compare'))}</span></th><th scope="col">${text(l10n.t('Run'))}</th><th scope="col">${text(l10n.t('Status'))}</th><th scope="col">${text(l10n.t('Steps'))}</th><th scope="col">${text(l10n.t('Loss'))}</th><th scope="col">${text(l10n.t('Best val.'))}</th><th scope="col"><span class="visually-hidden">${text(l10n.t('Actions'))}</span></th></tr></thead>
          <tbody id="runs-body" data-runs="0" data-selected=""></tbody>
        </table>
      </section>
      <details id="config-card" class="card config-card">
        <summary><h2>${text(l10n.t('Run configuration'))}</h2> <span class="muted">${text(l10n.t('cell, size, BPTT length, optimizer… then Train'))}</span></summary>
        <div id="config-form" class="config-form" data-invalid="0"></div>
      </details>
    </main>
    <script nonce="${attr(opts.nonce)}" src="${attr(opts.scriptUri)}"></script>
  </body>
</html>
`;
}

/** A translated message as HTML: its text escaped, each {N} replaced by `parts[N]` (markup). */
function markup(message: string, ...parts: string[]): string {
  return text(message).replace(/\{(\d+)\}/g, (m, i: string) => parts[Number(i)] ?? m);
}

function text(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;');
}
