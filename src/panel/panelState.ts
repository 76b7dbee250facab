/**
 * What the panel shows, kept on the host so that a closed, hidden or reloaded panel can be
 * redrawn from a snapshot. No `vscode` import.
 */
import type { StepPoint } from '../protocol/workerProtocol';
import {
  emptySnapshot, MAX_GRAD_HISTORY, thinned, type FormConfig, type GradFlow, type HostToWebview, type LossPoint, type PanelSnapshot, type RunInfo, type RunOverlay,
  type RunStatus, type RunSummary, type TraceView, type UnitSearchView,
} from '../protocol/webviewProtocol';

/** Beyond this many points the oldest half is thinned to every other point. */
const MAX_POINTS = 20_000;

/** A run's history so far, when a run continues (resume) or is shown again (restore). */
export interface RunHistory {
  train: LossPoint[];
  val: LossPoint[];
  gradHistory: GradFlow[];
  sample: string | null;
}

export class PanelState {
  private state: PanelSnapshot;
  /**
   * Seconds of training before the shown run's current loop: the worker counts from 0 in each
   * loop, so a resumed run's new points are shifted past its history's.
   */
  private secondsBefore = 0;

  constructor(form: FormConfig) {
    this.state = emptySnapshot(form);
  }

  snapshot(): PanelSnapshot {
    return { ...this.state, train: this.state.train.slice(), val: this.state.val.slice(), gradHistory: this.state.gradHistory.slice() };
  }

  get runs(): RunSummary[] {
    return this.state.runs;
  }

  get selected(): string[] {
    return this.state.selected;
  }

  get runId(): string | null {
    return this.state.run?.runId ?? null;
  }

  /** The latest training step shown, 0 before the first. */
  get lastStep(): number {
    return this.state.train[this.state.train.length - 1]?.step ?? 0;
  }

  /** Shows `run` from its start (or from `history` when it continues an earlier one). */
  beginRun(run: RunInfo, form: FormConfig, history?: RunHistory, status: RunStatus = 'running', message: string | null = null): HostToWebview {
    const { runs, selected, overlays } = this.state;
    this.secondsBefore = history ? Math.max(lastSeconds(history.train), lastSeconds(history.val)) : 0;
    this.state = {
      ...emptySnapshot(form), run, status, statusMessage: message, runs, selected, overlays,
      train: history?.train.slice() ?? [], val: history?.val.slice() ?? [], gradHistory: history?.gradHistory.slice() ?? [],
      gradFlow: history?.gradHistory[history.gradHistory.length - 1] ?? null, sample: history?.sample ?? null,
    };
    return { type: 'snapshot', state: this.snapshot() };
  }

  /** The form's starting values when no run is shown. */
  setForm(form: FormConfig): void {
    if (!this.state.run) this.state.form = form;
  }

  setRuns(runs: RunSummary[], selected: string[]): HostToWebview {
    this.state.runs = runs;
    this.state.selected = selected;
    return { type: 'runs', runs, selected };
  }

  /** The last unit search, listed under the gates (not part of a run). */
  units: UnitSearchView | null = null;

  setUnits(search: UnitSearchView | null): HostToWebview {
    this.units = search;
    return { type: 'units', search };
  }

  setOverlays(overlays: RunOverlay[]): HostToWebview {
    this.state.overlays = overlays;
    return { type: 'overlays', overlays };
  }

  addSteps(runId: string, points: StepPoint[], charsPerSec: number): HostToWebview | null {
    if (runId !== this.runId) return null;
    const train: LossPoint[] = points.map((p) => withSeconds({ step: p.step, loss: p.loss }, p.seconds, this.secondsBefore));
    this.state.train.push(...train);
    this.state.charsPerSec = charsPerSec;
    this.state.train = thinned(this.state.train, MAX_POINTS);
    return { type: 'metrics', runId, train, val: [], charsPerSec };
  }

  /** `point.seconds`, when given, count from the start of the current loop, as the steps' do. */
  addVal(runId: string, point: LossPoint): HostToWebview | null {
    if (runId !== this.runId) return null;
    point = withSeconds({ step: point.step, loss: point.loss }, point.seconds, this.secondsBefore);
    this.state.val.push(point);
    return { type: 'metrics', runId, train: [], val: [point], charsPerSec: this.state.charsPerSec };
  }

  setSample(runId: string, step: number, text: string): HostToWebview | null {
    if (runId !== this.runId) return null;
    this.state.sample = text;
    return { type: 'sample', runId, step, text };
  }

  setGradFlow(runId: string, gradFlow: GradFlow): HostToWebview | null {
    if (runId !== this.runId) return null;
    this.state.gradFlow = gradFlow;
    this.state.gradHistory.push(gradFlow);
    this.state.gradHistory = thinned(this.state.gradHistory, MAX_GRAD_HISTORY);
    return { type: 'gradFlow', runId, gradFlow };
  }

  setTrace(runId: string, trace: TraceView): HostToWebview | null {
    if (runId !== this.runId) return null;
    this.state.trace = trace;
    return { type: 'trace', runId, trace };
  }

  setStatus(runId: string, status: RunStatus, message: string | null): HostToWebview | null {
    if (runId !== this.runId) return null;
    this.state.status = status;
    this.state.statusMessage = message;
    return { type: 'status', runId, status, message };
  }
}

/** The largest `seconds` among the points (0 when none has one); a stored history may hold anything. */
function lastSeconds(points: readonly LossPoint[]): number {
  let last = 0;
  for (const p of points) if (typeof p.seconds === 'number' && Number.isFinite(p.seconds) && p.seconds > last) last = p.seconds;
  return last;
}

/** `point` with `seconds + offset`, or without seconds when they are missing or not a time. */
function withSeconds(point: LossPoint, seconds: number | undefined, offset: number): LossPoint {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return point;
  // Milliseconds are enough, and keep the stored history short.
  return { ...point, seconds: Math.round((seconds + offset) * 1000) / 1000 };
}
