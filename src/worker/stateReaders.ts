/**
 * The fused state reader for the current model (fused/stateReader.ts): made in the background
 * the first time a model asks, used from then on with the weights of the version asked for.
 * Until it is ready, or where the kernels cannot read the model, spanInspect reads with tfjs.
 */
import { FusedStateReader } from '../engine/fused/stateReader';
import type { SequenceModel } from '../engine/model';
import type { StateAdvance } from '../engine/spanInspect';

export class StateReaders {
  private reader: FusedStateReader | undefined;
  private making: SequenceModel | undefined;
  private failed: string | undefined;

  /** `wasmDir` holds the fused kernels; undefined reads everything with tfjs. */
  constructor(private readonly wasmDir: string | undefined) {}

  /** Why the kernels are not used, if they failed to load. */
  get problem(): string | undefined {
    return this.failed;
  }

  /** A reader for `model` holding the weights of `version`, or undefined (read with tfjs this time). */
  readerFor(model: SequenceModel, version: string): StateAdvance | undefined {
    if (!this.wasmDir || this.failed) return undefined;
    if (this.reader?.model === model) {
      try {
        this.reader.sync(version);
        return this.reader;
      } catch {
        return undefined; // read with tfjs
      }
    }
    this.prepare(model);
    return undefined;
  }

  /** Starts making a reader for `model` (a model just adopted), unless one is on its way. */
  prepare(model: SequenceModel): void {
    if (!this.wasmDir || this.failed) return;
    const wasmDir = this.wasmDir;
    if (this.making === model) return;
    // The last model's reader (its module and weights) goes with it, whether or not this one gets one.
    this.reader = undefined;
    this.making = undefined;
    if (FusedStateReader.supports(model)) {
      this.making = model;
      FusedStateReader.create(model, wasmDir).then(
        (r) => {
          if (this.making === model) this.reader = r;
        },
        (e: unknown) => {
          this.failed = e instanceof Error ? e.message : String(e);
        },
      );
    }
  }

  /** Resolves once a reader asked for is made (for tests and benchmarks). */
  async ready(model: SequenceModel): Promise<boolean> {
    for (let i = 0; i < 200 && this.making === model && !this.reader && !this.failed; i++) await new Promise((r) => setTimeout(r, 5));
    return this.reader?.model === model;
  }
}
