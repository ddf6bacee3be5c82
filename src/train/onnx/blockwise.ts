// Block-wise weight codes in the layout of ONNX Runtime's com.microsoft MatMulNBits (one scale per block of inputs of each output column).

/**
 * W [K, N] as MatMulNBits' B [N, blocks, blockSize × bits / 8] (codes packed low bits first along K) and scales
 * [N, blocks]: symmetric, scale = max|block| / (2^(bits−1) − 1), code = round(w / scale) + 2^(bits−1) (the kernel's
 * default zero point, so no zero-point input is needed).
 */
export function blockQuantize(w: { rows: number; cols: number; values: Float32Array }, bits: 4 | 8, blockSize: number): { packed: Uint8Array; scales: Float32Array; blocks: number } {
  const K = w.rows, N = w.cols;
  const blocks = Math.ceil(K / blockSize);
  const blob = (blockSize * bits) / 8;
  const levels = (1 << (bits - 1)) - 1;
  const zero = 1 << (bits - 1);
  const packed = new Uint8Array(N * blocks * blob);
  const scales = new Float32Array(N * blocks);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      let m = 0;
      for (let k = b * blockSize; k < Math.min(K, (b + 1) * blockSize); k++) m = Math.max(m, Math.abs(w.values[k * N + n]));
      const s = m > 0 ? m / levels : 1;
      scales[n * blocks + b] = s;
      const at = (n * blocks + b) * blob;
      for (let j = 0; j < blockSize; j++) {
        const k = b * blockSize + j;
        const code = k < K ? Math.max(zero - levels, Math.min(zero + levels, Math.round(w.values[k * N + n] / s) + zero)) : zero;
        if (bits === 8) packed[at + j] = code;
        else packed[at + (j >> 1)] |= (j & 1) === 0 ? code : code << 4;
      }
    }
  }
  return { packed, scales, blocks };
}
