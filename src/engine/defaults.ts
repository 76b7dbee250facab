import type { TrainConfig } from '../protocol/workerProtocol';

/** The reference configuration (DESIGN.md "Benchmarks"): LSTM 128, batch 32, BPTT 64, Adam 2e-3, clip 5. */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  cell: 'lstm',
  layers: 1,
  hiddenSize: 128,
  dropout: 0,
  optimizer: 'adam',
  tokens: 'char',
  gradEvery: 10,
  workers: 1,
  seqLength: 64,
  batchSize: 32,
  learningRate: 2e-3,
  clipNorm: 5,
  maxSeconds: 120,
  maxSteps: 0,
  valFraction: 0.1,
  valEvery: 50,
  sampleEvery: 100,
  seed: 1,
};
