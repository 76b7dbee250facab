/**
 * What the panel shows, updated from host messages. Rendering is separate and batched per frame,
 * so `apply` only does array appends and field writes, however many messages arrive.
 */
import { DEFAULT_TRAIN_CONFIG } from '../src/protocol/runConfig';
import { emptySnapshot, formOf, MAX_GRAD_HISTORY, thinned } from '../src/protocol/webviewProtocol';
import type { Seq2SeqForm } from '../src/protocol/seq2seqPanel';
import type { HostToWebview, LossPoint, PanelSnapshot, UnitSearchView, Seq2SeqView } from '../src/protocol/webviewProtocol';
import { isObject } from '../src/protocol/messages';
import { parseSnapshot } from './hostMessages';

export interface PanelState extends PanelSnapshot {
  /** Step the sample was generated at; snapshots do not carry it. */
  sampleStep: number | null;
}

const PERSISTED_VERSION = 1;

export class PanelModel {
  state: PanelState = { ...emptySnapshot(formOf(DEFAULT_TRAIN_CONFIG)), sampleStep: null };
  /** Bumped whenever the loss series change, so the chart skips frames where only text changed. */
  seriesVersion = 0;
  /** Bumped whenever the gradient-flow measurement changes. */
  gradVersion = 0;
  /** Bumped whenever the gate/state trace changes. */
  traceVersion = 0;
  /** Bumped whenever the run list or the compared runs change. */
  runsVersion = 0;
  /** Bumped when a snapshot brings new starting values for the form. */
  formVersion = 0;
  /** The last unit search (the host sends it after each snapshot). */
  units: UnitSearchView | null = null;
  unitsVersion = 0;
  /** The sequence-to-sequence run shown (not persisted: the host sends it again on `ready`). */
  seq2seq: Seq2SeqView | null = null;
  seq2seqVersion = 0;
  /** The sequence-to-sequence form's starting values (the settings). */
  seq2seqForm: Seq2SeqForm | null = null;
  seq2seqFormVersion = 0;

  /** Applies one host message; returns false when it changed nothing (e.g. it was for another run). */
  apply(message: HostToWebview): boolean {
    if (message.type === 'snapshot') {
      this.replace(message.state, null);
      return true;
    }
    if (message.type === 'runs') {
      this.state.runs = message.runs;
      this.state.selected = message.selected;
      this.runsVersion++;
      return true;
    }
    if (message.type === 'seq2seq') {
      this.seq2seq = message.view;
      this.seq2seqVersion++;
      return true;
    }
    if (message.type === 'seq2seqForm') {
      this.seq2seqForm = message.form;
      this.seq2seqFormVersion++;
      return true;
    }
    if (message.type === 'units') {
      this.units = message.search;
      this.unitsVersion++;
      return true;
    }
    if (message.type === 'overlays') {
      this.state.overlays = message.overlays;
      this.runsVersion++;
      return true;
    }
    // A snapshot introduces every run; leftovers from an earlier run may still be in flight.
    if (this.state.run?.runId !== message.runId) return false;
    switch (message.type) {
      case 'metrics': {
        const added = appendAfterLast(this.state.train, message.train) + appendAfterLast(this.state.val, message.val);
        if (added > 0) this.seriesVersion++;
        if (message.charsPerSec > 0) this.state.charsPerSec = message.charsPerSec;
        return true;
      }
      case 'sample':
        this.state.sample = message.text;
        this.state.sampleStep = message.step;
        return true;
      case 'status':
        this.state.status = message.status;
        this.state.statusMessage = message.message;
        return true;
      case 'trace':
        this.state.trace = message.trace;
        this.traceVersion++;
        return true;
      case 'gradFlow':
        this.state.gradFlow = message.gradFlow;
        this.state.gradHistory.push(message.gradFlow);
        // Thinned as the host thins it, so a snapshot shows the same history.
        this.state.gradHistory = thinned(this.state.gradHistory, MAX_GRAD_HISTORY);
        this.gradVersion++;
        return true;
    }
  }

  /** The state to hand to `vscode.setState`, so a re-shown panel can draw before the host answers. */
  toPersisted(): unknown {
    // Traces are large and follow the cursor: the host sends a fresh one.
    // Overlays are other runs' whole histories: the host sends them again on `ready`.
    const { sampleStep, ...snapshot } = { ...this.state, trace: null, overlays: [] };
    return { version: PERSISTED_VERSION, snapshot, sampleStep };
  }

  /** Restores what `toPersisted` produced; returns false for anything else. */
  restore(saved: unknown): boolean {
    if (!isObject(saved) || saved.version !== PERSISTED_VERSION) return false;
    const snapshot = parseSnapshot(saved.snapshot);
    if (!snapshot) return false;
    const step = saved.sampleStep;
    this.replace(snapshot, typeof step === 'number' && Number.isFinite(step) ? step : null);
    return true;
  }

  private replace(snapshot: PanelSnapshot, sampleStep: number | null): void {
    this.state = { ...snapshot, train: [...snapshot.train], val: [...snapshot.val], gradHistory: [...(snapshot.gradHistory ?? [])], trace: snapshot.trace ?? null, sampleStep };
    this.seriesVersion++;
    this.gradVersion++;
    this.traceVersion++;
    this.runsVersion++;
    this.formVersion++;
  }
}

/**
 * Appends points beyond the series' last step. Steps only grow within a run, so anything at or
 * before the last step is a repeat (e.g. a metrics message that crossed a snapshot) and is dropped.
 */
function appendAfterLast(series: LossPoint[], points: readonly LossPoint[]): number {
  let added = 0;
  for (const p of points) {
    const last = series[series.length - 1];
    if (last === undefined || p.step > last.step) {
      series.push(p);
      added++;
    }
  }
  return added;
}
