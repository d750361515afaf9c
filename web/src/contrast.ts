// Channel and contrast for images of any bit depth: the raw values windowed
// into 8 bits in the browser, so a slider answers without a round trip.

import type { RawArray } from "./api";

export interface Window { channel: number; low: number; high: number; }  // channel -1: the first three as RGB

export function channels(raw: RawArray): number {
  return raw.shape.length === 3 ? raw.shape[2] : 1;
}

/** The 0.5 and 99.5 percentiles of one channel (-1: of all), from a strided sample. */
export function autoWindow(raw: RawArray, channel: number): Window {
  const c = channels(raw), n = raw.shape[0] * raw.shape[1];
  const step = Math.max(1, Math.floor(n / 65536));
  const sample: number[] = [];
  for (let i = 0; i < n; i += step) {
    if (channel < 0) for (let k = 0; k < Math.min(c, 3); k++) sample.push(raw.data[i * c + k]);
    else sample.push(raw.data[i * c + channel]);
  }
  sample.sort((a, b) => a - b);
  const at = (q: number) => sample[Math.min(sample.length - 1, Math.floor(q * sample.length))];
  return { channel, low: at(0.005), high: Math.max(at(0.995), at(0.005) + 1e-6) };
}

export function range(raw: RawArray): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < raw.data.length; i++) {
    const v = raw.data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** The image windowed into an RGBA canvas. */
export function render(raw: RawArray, window: Window, into: HTMLCanvasElement): void {
  const [h, w] = raw.shape, c = channels(raw);
  into.width = w;
  into.height = h;
  const ctx = into.getContext("2d")!;
  const pixels = ctx.createImageData(w, h);
  const out = pixels.data, scale = 255 / (window.high - window.low);
  const value = (v: number) => Math.max(0, Math.min(255, (v - window.low) * scale));
  for (let i = 0; i < w * h; i++) {
    const o = i * 4;
    if (window.channel < 0 && c > 1) {
      out[o] = value(raw.data[i * c]);
      out[o + 1] = value(raw.data[i * c + 1]);
      out[o + 2] = c > 2 ? value(raw.data[i * c + 2]) : 0;
    } else {
      const v = value(raw.data[i * c + Math.max(window.channel, 0)]);
      out[o] = out[o + 1] = out[o + 2] = v;
    }
    out[o + 3] = 255;
  }
  ctx.putImageData(pixels, 0, 0);
}
