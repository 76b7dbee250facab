// Host messages for the webview tests, shaped like src/protocol/webviewProtocol.ts.

export function runInfo(overrides = {}) {
  return {
    runId: 'run-1',
    fileName: '/home/user/poems/sonnets.txt',
    startedAt: 1_700_000_000_000,
    cell: 'lstm',
    layers: 1,
    hiddenSize: 128,
    seqLength: 64,
    batchSize: 32,
    learningRate: 0.002,
    vocabSize: 65,
    trainTokens: 1_003_854,
    valTokens: 111_540,
    ...overrides,
  };
}

/** A loss curve falling from about ln(65) towards 1.4 nats, with a little noise. */
export function lossCurve(from, count, every = 1, offset = 0) {
  const points = [];
  for (let k = 0; k < count; k++) {
    const step = from + k * every;
    const wobble = 0.05 * Math.sin(step * 0.7);
    points.push({ step, loss: 1.4 + 2.8 * Math.exp(-step / 120) + wobble + offset });
  }
  return points;
}

/** The points with a time each: `secondsPerStep` seconds of training per step, from `start` seconds at step 0. */
export function timed(points, secondsPerStep = 0.5, start = 0) {
  return points.map((p) => ({ ...p, seconds: start + p.step * secondsPerStep }));
}

/** The form's starting values as the host sends them with the default settings. */
export const DEFAULT_FORM = { cell: 'lstm', layers: 1, hiddenSize: 128, seqLength: 64, batchSize: 32, learningRate: 0.002, optimizer: 'adam', clipNorm: 5, dropout: 0, tokens: 'char', seed: 1, maxSeconds: 120 };

export function snapshot({ run = runInfo(), train = lossCurve(0, 300), val = lossCurve(0, 15, 20, 0.15), status = 'running', statusMessage = null, charsPerSec = 25_812, sample = 'Shall I compare thee to a summer’s day?\nThou art more lovely and more temperate:', gradFlow = null, gradHistory = gradFlow ? [gradFlow] : [] } = {}) {
  return { type: 'snapshot', state: { run, status, statusMessage, train, val, charsPerSec, sample, gradFlow, gradHistory, trace: null, runs: [], selected: [], overlays: [], form: { ...DEFAULT_FORM } } };
}

export const EMPTY_SNAPSHOT = {
  type: 'snapshot',
  state: { run: null, status: null, statusMessage: null, train: [], val: [], charsPerSec: 0, sample: null, gradFlow: null, gradHistory: [], trace: null, runs: [], selected: [], overlays: [], form: { ...DEFAULT_FORM } },
};

/** A gradient-flow measurement shaped like a trained LSTM's: h fades over the window, c holds longer. */
export function gradFlowFixture(step = 590, lags = 64) {
  const k = Array.from({ length: lags }, (_, i) => i);
  return {
    step,
    h: k.map((i) => 0.02 * (0.9 ** i + 0.01 * Math.exp(-i / 30))),
    c: k.map((i) => 0.03 * (0.97 ** i)),
    clipped: false,
  };
}

/** Measurements over training in which the hidden state's gradient reaches further as the model learns. */
export function gradHistoryFixture(count = 60, lags = 64) {
  return Array.from({ length: count }, (_, n) => {
    const rate = 0.55 + 0.35 * (n / (count - 1));
    const k = Array.from({ length: lags }, (_, i) => i);
    return { step: 10 * (n + 1), h: k.map((i) => rate ** i), c: k.map((i) => (rate + 0.05) ** i), clipped: n % 17 === 5 };
  });
}

/** A trace over "the cat sat" for a 2-layer LSTM with 8 units: the forget gate rises along the text, h alternates in sign by unit. */
export function traceFixture() {
  const tokens = [...'the cat sat'];
  const units = 8;
  const layer = (shift) => {
    const values = {};
    for (const name of ['input', 'forget', 'output', 'candidate', 'c', 'h']) {
      values[name] = [];
      for (let t = 0; t < tokens.length; t++) {
        for (let u = 0; u < units; u++) {
          if (name === 'forget') values[name].push(0.05 + 0.9 * (t / (tokens.length - 1)));
          else if (name === 'h' || name === 'c' || name === 'candidate') values[name].push((u % 2 === 0 ? 1 : -1) * 0.8 * (shift + 1) / 2);
          else values[name].push(0.5);
        }
      }
    }
    return { units, values };
  };
  return { step: 120, tokens, offsets: tokens.map((_, i) => 100 + i), layers: [layer(0), layer(1)], gates: ['input', 'forget', 'output'] };
}
