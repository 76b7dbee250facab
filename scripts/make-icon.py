#!/usr/bin/env python3
"""Draws media/icon.png (128×128): a falling loss curve over a recurrent loop, no dependencies."""
import math, struct, zlib, sys

N = 128
px = [[(0, 0, 0, 0)] * N for _ in range(N)]

def blend(x, y, rgb, a):
    if 0 <= x < N and 0 <= y < N:
        r0, g0, b0, a0 = px[y][x]
        na = a + a0 * (1 - a)
        if na == 0:
            return
        mix = lambda c, c0: int((c * a + c0 * a0 * (1 - a)) / na)
        px[y][x] = (mix(rgb[0], r0), mix(rgb[1], g0), mix(rgb[2], b0), na)

# Rounded square background.
for y in range(N):
    for x in range(N):
        dx = max(14 - x, 0, x - (N - 15)); dy = max(14 - y, 0, y - (N - 15))
        d = math.hypot(dx, dy)
        if d <= 14:
            t = y / N
            blend(x, y, (int(30 + 20 * t), int(42 + 30 * t), int(78 + 40 * t)), min(1.0, 14.5 - d))

def disc(cx, cy, r, rgb):
    for y in range(int(cy - r - 2), int(cy + r + 3)):
        for x in range(int(cx - r - 2), int(cx + r + 3)):
            d = math.hypot(x - cx, y - cy)
            if d <= r + 0.5:
                blend(x, y, rgb, min(1.0, r + 0.5 - d))

# Recurrent loop (a ring with an arrow head).
for k in range(720):
    a = k / 720 * 2 * math.pi * 0.82 + 0.9
    disc(64 + 30 * math.cos(a), 64 + 30 * math.sin(a), 3.2, (120, 200, 255))
a = 0.9
disc(64 + 30 * math.cos(a) + 6, 64 + 30 * math.sin(a) - 7, 4.5, (120, 200, 255))

# Falling loss curve.
for k in range(400):
    t = k / 399
    x = 20 + 88 * t
    y = 30 + 70 * (1 - math.exp(-4.5 * t)) + 3 * math.sin(t * 40) * (1 - t)
    disc(x, y, 3.0, (255, 176, 64))

raw = b''.join(b'\x00' + b''.join(struct.pack('BBBB', r, g, b, int(a * 255)) for r, g, b, a in row) for row in px)
def chunk(kind, data):
    c = struct.pack('>I', len(data)) + kind + data
    return c + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', N, N, 8, 6, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b'')
open(sys.argv[1] if len(sys.argv) > 1 else 'media/icon.png', 'wb').write(png)
