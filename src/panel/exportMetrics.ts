/** The panel's metrics as files a user can take elsewhere. No `vscode` import. */
import type { PanelSnapshot } from '../protocol/webviewProtocol';

export type ExportFormat = 'csv' | 'json';

/** One row per step that has a training or validation loss (nats); empty cells where it has not. */
export function metricsCsv(s: PanelSnapshot): string {
  const rows = new Map<number, { train?: number; val?: number }>();
  for (const p of s.train) rows.set(p.step, { ...rows.get(p.step), train: p.loss });
  for (const p of s.val) rows.set(p.step, { ...rows.get(p.step), val: p.loss });
  const lines = ['step,train_loss_nats,val_loss_nats'];
  for (const step of [...rows.keys()].sort((a, b) => a - b)) {
    const r = rows.get(step)!;
    lines.push(`${step},${r.train ?? ''},${r.val ?? ''}`);
  }
  return lines.join('\n') + '\n';
}

/** The run, its loss series and its gradient-flow measurements. */
export function metricsJson(s: PanelSnapshot): string {
  return JSON.stringify({ run: s.run, status: s.status, train: s.train, val: s.val, gradFlow: s.gradHistory }, null, 2) + '\n';
}

export function exportMetrics(s: PanelSnapshot, format: ExportFormat): string {
  return format === 'csv' ? metricsCsv(s) : metricsJson(s);
}
