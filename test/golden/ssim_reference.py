#!/usr/bin/env python3
"""Independent SSIM values for test/metrics/ssim.test.ts, straight from Wang, Bovik, Sheikh,
Simoncelli, "Image quality assessment: from error visibility to structural similarity", IEEE TIP 2004:

  SSIM(x, y) = (2 mu_x mu_y + C1)(2 sigma_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2))   (eq. 13)

with local statistics weighted by an 11x11 circular-symmetric Gaussian window, sigma 1.5, normalised
to sum 1 (eq. 14-16, as fspecial('gaussian', 11, 1.5) in the authors' ssim_index.m), K1 = 0.01,
K2 = 0.03, C1 = (K1 L)^2, C2 = (K2 L)^2, the window placed only where it fits ('valid'), and the
mean over window positions (MSSIM, eq. 17), then over channels.

Plain Python, no numpy: direct 2-D weighted sums at each window position (the library uses a
separable filter and E[x^2] - mu^2; this script uses sum w (x - mu)^2, another route to the same
numbers). Pixel values come from a small integer LCG so the TS test can rebuild them exactly.
Run:  /usr/bin/python3 test/golden/ssim_reference.py > test/golden/ssim_reference.json
"""
import json
import math

WIN, SIGMA, K1, K2 = 11, 1.5, 0.01, 0.03


def window():
    half = WIN // 2
    w = [[math.exp(-((i - half) ** 2 + (j - half) ** 2) / (2 * SIGMA * SIGMA)) for j in range(WIN)] for i in range(WIN)]
    s = sum(sum(r) for r in w)
    return [[v / s for v in r] for r in w]


def mssim_plane(x, y, width, height, L):
    """x, y: lists of rows (height x width)."""
    w = window()
    C1, C2 = (K1 * L) ** 2, (K2 * L) ** 2
    vals = []
    for top in range(height - WIN + 1):
        for left in range(width - WIN + 1):
            mx = my = 0.0
            for i in range(WIN):
                for j in range(WIN):
                    mx += w[i][j] * x[top + i][left + j]
                    my += w[i][j] * y[top + i][left + j]
            vx = vy = cxy = 0.0
            for i in range(WIN):
                for j in range(WIN):
                    dx = x[top + i][left + j] - mx
                    dy = y[top + i][left + j] - my
                    vx += w[i][j] * dx * dx
                    vy += w[i][j] * dy * dy
                    cxy += w[i][j] * dx * dy
            vals.append(((2 * mx * my + C1) * (2 * cxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2)))
    return sum(vals) / len(vals)


def lcg_bytes(seed, count):
    """Numerical Recipes LCG, state = (1664525 state + 1013904223) mod 2^32; byte = state >> 24."""
    out, s = [], seed
    for _ in range(count):
        s = (1664525 * s + 1013904223) % 2**32
        out.append(s >> 24)
    return out


def case(name, width, height, channels, seed_a, seed_b, mix, L, scale):
    """a = lcg bytes * scale; b = (1 - mix) a + mix * other lcg bytes * scale (planar CHW order)."""
    n = width * height * channels
    ra, rb = lcg_bytes(seed_a, n), lcg_bytes(seed_b, n)
    a = [v * scale for v in ra]
    b = [(1 - mix) * a[k] + mix * rb[k] * scale for k in range(n)]
    per = []
    for c in range(channels):
        plane = lambda flat: [[flat[c * width * height + r * width + col] for col in range(width)] for r in range(height)]
        per.append(mssim_plane(plane(a), plane(b), width, height, L))
    return {'name': name, 'width': width, 'height': height, 'channels': channels, 'seedA': seed_a, 'seedB': seed_b,
            'mix': mix, 'dataRange': L, 'scale': scale, 'ssim': sum(per) / channels, 'ssimPerChannel': per}


if __name__ == '__main__':
    cases = [
        # one window position, [0, 1] pixels, fairly similar
        case('11x11 gray, one window', 11, 11, 1, 1, 2, 0.25, 1.0, 1 / 255),
        # 14 wide x 12 high, 2 channels: 4 x 2 window positions per channel
        case('14x12 two channels', 14, 12, 2, 3, 4, 0.5, 1.0, 1 / 255),
        # byte-valued pixels with L = 255
        case('12x11 bytes, L = 255', 12, 11, 1, 5, 6, 0.1, 255.0, 1.0),
    ]
    print(json.dumps({'generator': 'test/golden/ssim_reference.py', 'cases': cases}, indent=1))
