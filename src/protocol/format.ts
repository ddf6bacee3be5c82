// Number formats shared by the CLI, the editor and the training webview, so the same score reads the same everywhere.

/** A share in [0, 1] as a percentage: 0.4567 → "45.7%" (digits after the point: 1 unless told). */
export function percent(share: number, digits = 1): string {
  return `${(100 * share).toFixed(digits)}%`;
}
