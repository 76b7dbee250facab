/**
 * Reads text forward on the fused kernels to reach a recurrent state: the warm-up and catch-up
 * before a hover, trace or overlay (spanInspect.ts), which otherwise take one tfjs step per token.
 * Only the recurrent layers are run; the output layer and anything traced stay with tfjs.
 *
 * One stream, so the kernels' products are matrix–vector ones. States come and go packed as
 * spanInspect keeps them: every layer's h, then c.
 */
import type { SequenceModel } from '../model';
import { FusedLayer } from './layer';
import { FusedModule } from './module';

/** Longest stretch one kernel call reads (a longer one is read in several calls). */
const CHUNK = 64;
/** Models with more weights than this are read with tfjs (the copy would double their memory). */
const MAX_WEIGHTS = 8_000_000;

export class FusedStateReader {
  private readonly layers: FusedLayer[] = [];
  private readonly hasC: boolean;
  private loaded = '';

  private constructor(mod: FusedModule, readonly model: SequenceModel) {
    const { cell, layers: L, hiddenSize: H, vocabSize: V } = model.shape;
    for (let l = 0; l < L; l++) {
      const below = this.layers[l - 1]?.pointers;
      const shape = { cell, input: l === 0 ? V : H, hidden: H, batch: 1, steps: CHUNK };
      this.layers.push(FusedLayer.create(mod, shape, below ? { x: below.output, dX: below.dH } : undefined));
    }
    this.hasC = this.layers[0].hasCellState;
  }

  /** Whether the fused kernels can read for this model (hidden a multiple of 8, weights not huge). */
  static supports(model: SequenceModel): boolean {
    const n = model.named.reduce((a, p) => a + p.variable.size, 0);
    return model.shape.hiddenSize % 8 === 0 && n <= MAX_WEIGHTS;
  }

  /** A reader for `model` in a module of its own, from the wasm files in `wasmDir`. */
  static async create(model: SequenceModel, wasmDir: string): Promise<FusedStateReader> {
    return new FusedStateReader(await FusedModule.load(wasmDir), model);
  }

  /** Copies the model's recurrent weights unless the ones read under `version` are there already. */
  sync(version: string): void {
    if (version === this.loaded) return;
    const params = this.layers.flatMap((layer) => layer.parameterBuffers());
    params.forEach((buf, k) => {
      const v = this.model.named[k].variable;
      if (v.size !== buf.n) throw new Error(`parameter ${this.model.named[k].key} has ${v.size} values; the reader expects ${buf.n}`);
      this.layers[0].mod.f32(buf.p, buf.n).set(v.dataSync() as Float32Array);
    });
    this.loaded = version;
  }

  /**
   * The packed state after reading `ids` from `state` (null: the zero state); `top`, when given,
   * receives the top layer's h after each token.
   */
  advance(ids: Int32Array, state: Float32Array | null, top?: Float32Array): Float32Array {
    const { hiddenSize: H, layers: L, vocabSize: V } = this.model.shape;
    const per = this.hasC ? 2 : 1;
    if (state && state.length !== L * per * H) throw new Error(`a kept state has ${state.length} values, expected ${L * per * H}`);
    this.layers.forEach((layer, l) => {
      if (!state) return layer.resetState();
      layer.h0.set(state.subarray(l * per * H, l * per * H + H));
      if (this.hasC) layer.c0.set(state.subarray(l * per * H + H, (l + 1) * per * H));
    });
    let T = 0;
    for (let at = 0; at < ids.length; at += T) {
      T = Math.min(CHUNK, ids.length - at);
      const slots = this.layers[0].ids;
      for (let t = 0; t < T; t++) {
        const id = ids[at + t];
        if (!(id >= 0 && id < V)) throw new Error(`token id ${id} is outside [0, ${V})`);
        slots[t] = id;
      }
      for (const layer of this.layers) layer.forward(T);
      if (top) top.set(this.layers[L - 1].output(T), at * H);
      if (at + T < ids.length) for (const layer of this.layers) layer.carryState(T);
    }
    const out = state ? state.slice() : new Float32Array(L * per * H);
    if (ids.length === 0) return out;
    this.layers.forEach((layer, l) => {
      out.set(layer.hT(T), l * per * H);
      if (this.hasC) out.set(layer.cT(T), l * per * H + H);
    });
    return out;
  }
}
