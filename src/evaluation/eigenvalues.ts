/**
 * Eigenvalues (no eigenvectors) of a symmetric matrix, fast enough for a bootstrap: Householder
 * reduction to tridiagonal form (Golub & Van Loan, Matrix Computations, 4th ed., alg. 8.3.1), then
 * every eigenvalue of the tridiagonal matrix by bisection on Sturm sequence counts (ibid. 8.4.1).
 * About 4/3 n^3 flops, several times faster than a full eigendecomposition.
 */
import { InvalidArgumentError, requireInteger } from '../core/errors.js';

/** Diagonal and off-diagonal of the tridiagonal matrix similar to the symmetric `a` (n x n, row-major; overwritten). */
function tridiagonalize(a: Float64Array, n: number): { diag: Float64Array; off: Float64Array } {
  const u = new Float64Array(n);
  const q = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    // Householder vector u annihilating a[k+2.., k]
    let alpha = 0;
    for (let i = k + 1; i < n; i++) alpha += a[i * n + k] ** 2;
    alpha = Math.sqrt(alpha);
    if (alpha === 0) continue;
    const x0 = a[(k + 1) * n + k];
    const s = x0 >= 0 ? alpha : -alpha;
    u.fill(0);
    u[k + 1] = x0 + s;
    for (let i = k + 2; i < n; i++) u[i] = a[i * n + k];
    let un = 0;
    for (let i = k + 1; i < n; i++) un += u[i] * u[i];
    if (un === 0) continue;
    const inv = 1 / Math.sqrt(un);
    for (let i = k + 1; i < n; i++) u[i] *= inv;
    // w = A u over the trailing block (rows/cols k..n-1), K = u^T w, q = w - K u; A -= 2 u q^T + 2 q u^T
    let kk = 0;
    for (let i = k; i < n; i++) {
      let w = 0;
      const row = i * n;
      for (let j = k + 1; j < n; j++) w += a[row + j] * u[j];
      q[i] = w;
      kk += u[i] * w;
    }
    for (let i = k; i < n; i++) q[i] -= kk * u[i];
    for (let i = k; i < n; i++) {
      const row = i * n;
      const ui = 2 * u[i];
      const qi = 2 * q[i];
      for (let j = k; j < n; j++) a[row + j] -= ui * q[j] + qi * u[j];
    }
  }
  const diag = new Float64Array(n);
  const off = new Float64Array(Math.max(0, n - 1));
  for (let i = 0; i < n; i++) diag[i] = a[i * n + i];
  for (let i = 0; i < n - 1; i++) off[i] = a[(i + 1) * n + i];
  return { diag, off };
}

/** How many eigenvalues of the tridiagonal (diag, off) are below x (Sturm sequence / LDL^T sign count). */
function countBelow(diag: Float64Array, off: Float64Array, x: number, tiny: number): number {
  let count = 0;
  let d = diag[0] - x;
  if (d < 0) count++;
  for (let i = 1; i < diag.length; i++) {
    if (d === 0) d = tiny;
    d = diag[i] - x - (off[i - 1] * off[i - 1]) / d;
    if (d < 0) count++;
  }
  return count;
}

/**
 * The eigenvalues of the symmetric n x n matrix `matrix` (row-major; only its symmetric part is
 * used), ascending, to about 1e-11 relative to the matrix's norm.
 */
export function symmetricEigenvalues(matrix: ArrayLike<number>, n: number): Float64Array {
  requireInteger('n', n, 1);
  if (matrix?.length !== n * n) throw new InvalidArgumentError('matrix.length', matrix?.length, `n * n = ${n * n}`);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = (matrix[i * n + j] + matrix[j * n + i]) / 2;
      if (!Number.isFinite(v))
        throw new InvalidArgumentError(`matrix[${i * n + j}]`, matrix[i * n + j], 'a finite number');
      a[i * n + j] = v;
    }
  }
  const { diag, off } = tridiagonalize(a, n);
  // Gershgorin bounds of the tridiagonal matrix
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const r = (i > 0 ? Math.abs(off[i - 1]) : 0) + (i < n - 1 ? Math.abs(off[i]) : 0);
    lo = Math.min(lo, diag[i] - r);
    hi = Math.max(hi, diag[i] + r);
  }
  const scale = Math.max(Math.abs(lo), Math.abs(hi), Number.MIN_VALUE);
  const tol = 1e-11 * scale;
  const tiny = Number.MIN_VALUE * 1e10 + 1e-300 * scale;
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    // the (k+1)-th smallest eigenvalue: smallest x with countBelow(x) > k
    let a0 = lo;
    let b0 = hi;
    while (b0 - a0 > tol) {
      const mid = (a0 + b0) / 2;
      if (mid === a0 || mid === b0) break;
      if (countBelow(diag, off, mid, tiny) > k) b0 = mid;
      else a0 = mid;
    }
    out[k] = (a0 + b0) / 2;
    lo = a0; // eigenvalues ascend: the next one is not below this one's bracket
  }
  return out;
}
