/**
 * The workspace's runs as the panel sees them: the shown run is written to the run store as it
 * trains (so a reload or a crash loses at most a few seconds), the run list follows the store,
 * and the runs the user picks are overlaid on the charts. No `vscode` import.
 */
import type { Log } from '../log';
import type { PanelState } from '../panel/panelState';
import { errorMessage } from '../protocol/messages';
import { formOf, MAX_SELECTED_RUNS, type HostToWebview, type LossPoint, type RunInfo, type RunOverlay } from '../protocol/webviewProtocol';
import type { TrainConfig } from '../protocol/runConfig';
import { RUN_RECORD_VERSION, type RunRecord, type RunStore } from './runStore';
import { RecordText } from './recordJson';

/** How often a training run's record is written. */
const PERSIST_MS = 5_000;
/** Points per loss series an overlay brings to the panel. */
const OVERLAY_POINTS = 2_000;

/** What the store needs about the shown run beyond what the panel state holds. */
interface ShownRun {
  runId: string;
  config: TrainConfig;
  documentUri: string;
  bestValLoss: number | null;
  checkpointStep: number | null;
  name: string | null;
  note: string | null;
}

/** Where the picked runs are remembered (workspace state in the extension). */
export interface SelectionMemory {
  get(): string[];
  set(ids: string[]): void;
}

export function overlayLabel(run: RunInfo): string {
  const time = new Date(run.startedAt).toLocaleTimeString('en', { hour: '2-digit', minute: '2-digit', hour12: false });
  return `${run.cell} ${run.layers}×${run.hiddenSize} · ${run.fileName} · ${time}`;
}

function thinTo(points: LossPoint[], max: number): LossPoint[] {
  if (points.length <= max) return points;
  const every = Math.ceil(points.length / max);
  return points.filter((_, i) => i % every === 0 || i === points.length - 1);
}

export class RunLibrary {
  private shown: ShownRun | undefined;
  /** The shown run's record as JSON, extended from one write to the next. */
  private recordText: { runId: string; text: RecordText } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly overlayCache = new Map<string, RunOverlay>();
  /** Counts overlay refreshes: a slow one that finishes after a newer one is dropped. */
  private overlayGeneration = 0;

  constructor(
    readonly store: RunStore,
    private readonly state: PanelState,
    private readonly post: (message: HostToWebview | null) => void,
    private readonly memory: SelectionMemory,
    private readonly log: Log,
  ) {}

  /**
   * Reads the stored runs and shows the newest in the panel. A run still marked running was cut
   * short by a reload or a crash: it is marked stopped. Returns the record shown, if any.
   */
  async open(): Promise<RunRecord | undefined> {
    (await this.store.open()).forEach((p) => this.log.warn(p));
    const selected = this.memory.get().filter((id) => this.store.has(id));
    this.state.setRuns(this.store.list(), selected);
    // Runs still marked running were cut short by a reload or a crash (one run trains at a time).
    for (const s of this.store.list().filter((x) => x.status === 'running' && x.run.runId !== this.shown?.runId)) {
      try {
        const r = await this.store.get(s.run.runId);
        r.status = 'stopped';
        r.message = 'Training was interrupted (the window was reloaded or closed).' +
          (r.checkpointStep !== null ? ` Resume continues from step ${r.checkpointStep}.` : '');
        await this.store.save(r);
      } catch (e) {
        this.log.warn(`Could not update ${s.run.runId}: ${errorMessage(e)}`);
      }
    }
    const newest = this.store.list()[0];
    let shown: RunRecord | undefined;
    if (newest && !this.shown) {
      try {
        shown = await this.store.get(newest.run.runId);
      } catch (e) {
        this.log.warn(errorMessage(e));
      }
    }
    // A run started while the store was read owns the panel.
    if (this.shown) shown = undefined;
    if (shown) this.show(shown);
    else this.post(this.state.setRuns(this.store.list(), this.state.selected));
    await this.refreshOverlays();
    return shown;
  }

  /** Shows a stored run in the panel, with its history and status, without training. */
  show(r: RunRecord): void {
    this.shown = {
      runId: r.run.runId, config: r.config, documentUri: r.documentUri, bestValLoss: r.bestValLoss, checkpointStep: r.checkpointStep,
      name: r.name ?? null, note: r.note ?? null,
    };
    this.post(this.state.beginRun(r.run, formOf(r.config), r, r.status, r.message));
    this.post(this.state.setRuns(this.store.list(), this.state.selected));
  }

  /** The run shown in the panel, with its configuration and document. */
  get current(): Readonly<ShownRun> | undefined {
    return this.shown;
  }

  /** A run starts (or continues, with its earlier history) and is shown. */
  begin(info: RunInfo, config: TrainConfig, documentUri: string, continued?: RunRecord): void {
    this.shown = {
      runId: info.runId, config, documentUri,
      bestValLoss: continued?.bestValLoss ?? null, checkpointStep: continued?.checkpointStep ?? null,
      name: continued?.name ?? null, note: continued?.note ?? null,
    };
    this.overlayCache.delete(info.runId);
    this.post(this.state.beginRun(info, formOf(config), continued));
    void this.persistNow().then(() => this.refreshOverlays());
  }

  /** New metrics arrived for the shown run: written within a few seconds. */
  touched(runId: string): void {
    if (this.shown?.runId !== runId || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.persistNow();
    }, PERSIST_MS);
  }

  validated(runId: string, loss: number): void {
    if (this.shown?.runId !== runId) return;
    if (this.shown.bestValLoss === null || loss < this.shown.bestValLoss) this.shown.bestValLoss = loss;
    this.touched(runId);
  }

  checkpointWritten(runId: string, step: number): void {
    if (this.shown?.runId !== runId) return;
    this.shown.checkpointStep = step;
    this.touched(runId);
  }

  /** The shown run ended: its record is written now and the list updated. */
  async finished(runId: string): Promise<void> {
    if (this.shown?.runId !== runId) return;
    this.overlayCache.delete(runId);
    await this.persistNow();
  }

  /** Writes the shown run's record (one write at a time, in order). */
  persistNow(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const shown = this.shown;
    const snap = this.state.snapshot();
    if (!shown || !snap.run || snap.run.runId !== shown.runId || !snap.status) return this.writing;
    const record: RunRecord = {
      version: RUN_RECORD_VERSION, run: snap.run, config: shown.config, documentUri: shown.documentUri,
      status: snap.status, message: snap.statusMessage, train: snap.train, val: snap.val, gradHistory: snap.gradHistory,
      sample: snap.sample, bestValLoss: shown.bestValLoss, checkpointStep: shown.checkpointStep, updatedAt: Date.now(),
      name: shown.name, note: shown.note,
    };
    this.writing = this.writing.then(async () => {
      try {
        if (this.recordText?.runId !== record.run.runId) this.recordText = { runId: record.run.runId, text: new RecordText() };
        await this.store.save(record, this.recordText.text);
        this.post(this.state.setRuns(this.store.list(), this.state.selected.filter((id) => this.store.has(id))));
      } catch (e) {
        this.log.warn(`Run ${record.run.runId} could not be saved: ${errorMessage(e)}`);
      }
    });
    return this.writing;
  }

  /** Names a run and sets its note (null clears either); the shown run's record keeps them too. */
  async annotate(runId: string, name: string | null, note: string | null): Promise<void> {
    if (this.shown?.runId === runId) {
      this.shown.name = name;
      this.shown.note = note;
      return this.persistNow();
    }
    await this.writing;
    const record = await this.store.get(runId);
    await this.store.save({ ...record, name, note });
    this.post(this.state.setRuns(this.store.list(), this.state.selected.filter((id) => this.store.has(id))));
  }

  /** The user picked runs to compare. */
  async select(runIds: string[]): Promise<void> {
    const ids = runIds.filter((id) => this.store.has(id)).slice(0, MAX_SELECTED_RUNS);
    this.memory.set(ids);
    this.post(this.state.setRuns(this.store.list(), ids));
    await this.refreshOverlays();
  }

  /** Deletes a run other than the shown one (the panel and hovers rely on that). */
  async remove(runId: string): Promise<void> {
    if (this.shown?.runId === runId) return;
    await this.writing;
    await this.store.delete(runId);
    this.overlayCache.delete(runId);
    await this.select(this.state.selected.filter((id) => id !== runId));
  }

  /** Sends the panel the picked runs other than the shown one. */
  async refreshOverlays(): Promise<void> {
    const generation = ++this.overlayGeneration;
    const overlays: RunOverlay[] = [];
    for (const id of this.state.selected) {
      if (id === this.shown?.runId) continue;
      let o = this.overlayCache.get(id);
      if (!o) {
        try {
          const r = await this.store.get(id);
          o = { runId: id, label: overlayLabel(r.run), train: thinTo(r.train, OVERLAY_POINTS), val: thinTo(r.val, OVERLAY_POINTS), gradFlow: r.gradHistory[r.gradHistory.length - 1] ?? null };
          if (r.status !== 'running') this.overlayCache.set(id, o);
        } catch (e) {
          this.log.warn(errorMessage(e));
          continue;
        }
      }
      overlays.push(o);
    }
    if (generation === this.overlayGeneration) this.post(this.state.setOverlays(overlays));
  }

  /** Ends pending writes (on deactivation). */
  async dispose(): Promise<void> {
    if (this.timer) await this.persistNow();
    await this.writing;
  }
}

