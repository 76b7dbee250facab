/**
 * What every recurrent cell provides to the layer that runs it over a BPTT window.
 *
 * A cell's pre-activations for one step are z = x_t W_x + b + (recurrent part), laid out as
 * `blocks` slices of H columns. The layer computes x_t W_x + b for the whole window at once and
 * hands each step's slice to `step`; the backward pass walks the steps in reverse with `backStep`
 * and leaves the weight gradients to one matmul per window.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { CellName } from '../../protocol/runConfig';


export interface CellState {
  /** [B, H] */ h: tf.Tensor2D;
  /** [B, H], only for cells with a cell state */ c: tf.Tensor2D | null;
}

export interface RecurrentWeights {
  /** [H, blocks·H] */ Wh: tf.Tensor2D;
  /** [3, H] peephole weights (peephole LSTM only) */ p: tf.Tensor2D | null;
  /** Cell-specific tensors derived once per window by `prepare` (e.g. slices of W_h). */
  extra: tf.Tensor2D[];
}

export interface StepResult extends CellState {
  /** Per-step tensors the backward pass needs, in a fixed order, each [B, width]. */
  saved: tf.Tensor2D[];
  /** Gate and candidate activations by name, for traces. */
  gates: Record<string, tf.Tensor2D>;
}

export interface BackStepResult {
  /** ∂L/∂z for this step, [B, blocks·H] */ dz: tf.Tensor2D;
  /** Total ∂L/∂c_t (null without a cell state) */ dc: tf.Tensor2D | null;
  /** ∂L/∂h_{t-1} through this step */ dhPrev: tf.Tensor2D;
  /** ∂L/∂c_{t-1} through this step (null without a cell state) */ dcPrev: tf.Tensor2D | null;
}

/** Whole-window tensors available when the weight gradients are formed. */
export interface WindowGradInput {
  /** [T·B, H] h_0 … h_{T-1} */ hPrev: tf.Tensor2D;
  /** [T·B, H] c_0 … c_{T-1} */ cPrev: tf.Tensor2D | null;
  /** [T·B, H] c_1 … c_T */ c: tf.Tensor2D | null;
  /** saved[j] stacked over the window, [T·B, width_j] */ saved: tf.Tensor2D[];
  /** [T·B, blocks·H] */ dZ: tf.Tensor2D;
}

export interface Cell {
  readonly type: CellName;
  /** Number of H-wide blocks in W_x, W_h and b. */
  readonly blocks: number;
  /** True when the cell carries c besides h. */
  readonly hasCellState: boolean;
  /** True when the cell has peephole weights p [3, H]. */
  readonly peepholes: boolean;
  /** Names of the traced activations, in display order (h and c are added by the layer). */
  readonly gateNames: readonly string[];
  /** Which names are gates in (0, 1) (for saturation), as opposed to signed candidates. */
  readonly sigmoidGates: readonly string[];
  /** Initial bias per block (e.g. forget gate 1). */
  initialBias(block: number): number;

  /** Tensors derived from W_h once per window, passed back as `w.extra`. */
  prepare(Wh: tf.Tensor2D, H: number): tf.Tensor2D[];

  /** One forward step. `zx` = x_t W_x + b for this step, [B, blocks·H]. */
  step(zx: tf.Tensor2D, prev: CellState, w: RecurrentWeights): StepResult;

  /**
   * One backward step. `dh` and `dc` are the total gradients reaching h_t and c_t from above and
   * from later steps; `saved` is what `step` saved at t, `prev` the state at t-1, `c` the new c_t.
   */
  backStep(dh: tf.Tensor2D, dc: tf.Tensor2D | null, saved: tf.Tensor2D[], prev: CellState, c: tf.Tensor2D | null, w: RecurrentWeights & { WhT: tf.Tensor2D }): BackStepResult;

  /** ∂L/∂W_h (and ∂L/∂p) for the whole window. */
  weightGrads(g: WindowGradInput, w: RecurrentWeights): { dWh: tf.Tensor2D; dp: tf.Tensor2D | null };
}
