// Entry of the charts test page (chartsPage.mjs): the loss and gradient-flow charts alone, with
// their public methods on `window.charts` for tests to call as webview/main.ts would.
import { observeThemeChanges } from '../../webview/chartTheme';
import { GradFlowChart } from '../../webview/gradFlowChart';
import { LossChart } from '../../webview/lossChart';

const byId = (id: string) => document.getElementById(id)!;
const loss = new LossChart(byId('loss-chart'));
const grad = new GradFlowChart(byId('grad-chart'));
observeThemeChanges(() => { loss.refreshTheme(); grad.refreshTheme(); });
(window as unknown as { charts: unknown }).charts = { loss, grad };
