/** Where a run keeps its checkpoints: the latest at `<run>.ckpt`, the best-validation one beside it. */

/** The checkpoint of a run's best validation loss so far, beside its latest checkpoint `path`. */
export function bestCheckpointPath(path: string): string {
  return `${path.endsWith('.ckpt') ? path.slice(0, -'.ckpt'.length) : path}.best.ckpt`;
}
