/** The webview's handle on VS Code: posting messages to the host and keeping state across reloads. */
import type { WebviewToHost } from '../src/protocol/webviewProtocol';

/** The part of VS Code's webview API the panel uses. */
export interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}

// Injected by VS Code into every webview that allows scripts.
declare function acquireVsCodeApi(): VsCodeApi;

/** VS Code throws if this is called twice in one page, so main.ts calls it once and passes the handle on. */
export function connectToHost(): VsCodeApi {
  return acquireVsCodeApi();
}
