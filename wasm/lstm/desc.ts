/**
 * The layer descriptor: an array of i32 at `desc` holding a recurrent layer's sizes, its cell
 * kind and the byte offsets of every buffer it uses (0 for buffers the layer does not have). The
 * JS side (src/engine/fused/layer.ts, enum `F`) fills it; the kernels only read it.
 */

// Sizes.
export const L_D = 0; // input width: vocabulary size (token ids) or the layer below's width
export const L_H = 1;
export const L_B = 2;
export const L_TMAX = 3;
export const L_CELL = 4; // CELL_* below
export const L_K = 5; // H-wide blocks in W_x, W_h and b (G = K·H)
// Weights and inputs.
export const L_WX = 6; // [D, G]
export const L_WH = 7; // [H, G]
export const L_BIAS = 8; // [G]
export const L_P = 9; // [3, H] peepholes (peephole cell)
export const L_IDS = 10; // i32 [Tmax·B] token ids (first layer), or 0
export const L_X = 11; // [Tmax·B, D] input from the layer below, or 0
// What the forward pass keeps.
export const L_HS = 12; // [(Tmax+1)·B, H]: h_0 (the carried state) then h_1 … h_T (the output)
export const L_CS = 13; // [(Tmax+1)·B, H]: c_0 … c_T (cells with a cell state)
export const L_GATES = 14; // [Tmax·B, G]: the blocks after their nonlinearities
export const L_TANHC = 15; // [Tmax·B, H]: tanh(c_t) (cells with a cell state)
export const L_RH = 16; // [Tmax·B, H]: r ⊙ h_{t-1} (GRU)
// Backward inputs and outputs.
export const L_DH = 17; // [Tmax·B, H]: ∂L/∂h_t from above
export const L_DWX = 18; // [D, G]
export const L_DWH = 19; // [H, G]
export const L_DB = 20; // [G]
export const L_DP = 21; // [3, H]
export const L_DX = 22; // [Tmax·B, D]: ∂L/∂x_t for the layer below, or 0
export const L_DHNORM = 23; // [Tmax] ‖∂L/∂h_t‖
export const L_DCNORM = 24; // [Tmax] ‖∂L/∂c_t‖
export const L_DHLAST = 25; // [Tmax] ‖∂ℓ_T/∂h_t‖
export const L_DCLAST = 26; // [Tmax] ‖∂ℓ_T/∂c_t‖
// Scratch.
export const L_WHB = 27; // W_h packed as the B operand of h·W_h: G/8 panels of H rows
export const L_WHTB = 28; // W_hᵀ (GRU: of the update and reset blocks) packed as a B operand
export const L_WHNTB = 29; // GRU: W_hnᵀ (candidate block) packed as a B operand
export const L_HA = 30; // [B/4][H][4] an A operand of H columns
export const L_DZ = 31; // [B, G] one step's ∂L/∂z
export const L_DZA = 32; // [B/4][G][4] dz packed as an A operand
export const L_DZB = 33; // ∂L/∂z of the window packed as a B operand: G/8 panels of T·B rows
export const L_DHC = 34; // [B, H] ∂L/∂h_t being assembled
export const L_DCC = 35; // [B, H] ∂L/∂c carried to step t−1 (GRU: the direct part of ∂L/∂h_{t−1})
export const L_WXB = 36; // W_x packed as a B operand (input from below)
export const L_WXTB = 37; // W_xᵀ packed as a B operand (input from below)
export const L_XA = 38; // [Tmax·B/4][D][4] the window's input packed as an A operand
export const L_DRH = 39; // [B, H] GRU: ∂L/∂(r ⊙ h_{t-1})
export const L_COUNT = 40;

export const CELL_LSTM = 0;
export const CELL_PEEPHOLE = 1;
export const CELL_NOFORGET = 2;
export const CELL_CIFG = 3;
export const CELL_GRU = 4;
export const CELL_RNN = 5;

// @ts-ignore: decorator
@inline export function field(desc: usize, i: i32): i32 {
  return load<i32>(desc + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline export function ptr(desc: usize, i: i32): usize {
  return <usize>load<i32>(desc + (<usize>i << 2));
}

/** Zeroes n floats. */
export function zero(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n << 2);
}
