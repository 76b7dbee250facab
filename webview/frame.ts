/**
 * Coalesces any number of requests into one call on the next animation frame, so a flood of
 * messages costs one redraw per frame instead of one per message.
 */
export function frameTask(run: () => void): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      run();
    });
  };
}

/** Runs `run` at most once per `ms`, always after the latest request (trailing edge). */
export function trailingThrottle(run: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      run();
    }, ms);
  };
}
