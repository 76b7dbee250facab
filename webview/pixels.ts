// Painting is synchronous, so one scratch canvas serves every heatmap.
let source: HTMLCanvasElement | undefined;

/** Paints an ImageData of cells onto `canvas` at `width` × `height`, one sharp block per cell. */
export function paintCells(canvas: HTMLCanvasElement, image: ImageData, width: number, height: number): CanvasRenderingContext2D {
  source ??= document.createElement('canvas');
  if (source.width !== image.width) source.width = image.width;
  if (source.height !== image.height) source.height = image.height;
  source.getContext('2d')!.putImageData(image, 0, 0);
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, width, height);
  ctx.drawImage(source, 0, 0, width, height);
  return ctx;
}
