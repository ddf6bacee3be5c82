// Reads the percentage Cloze shows beside a candidate ("67.8%", "0.12%", "3.0e-3%": src/server/render.ts), for the
// e2e suites' order and value checks; a plain number pattern reads "3.0e-3%" as 3.
/** The first percentage in `text`, as a number of percent, or undefined when there is none. */
export function percentIn(text: string): number | undefined {
  const m = /(\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*%/.exec(text);
  return m ? Number(m[1]) : undefined;
}
