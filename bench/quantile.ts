/** The value at fraction q of the sorted values (0: the least, 0.5: the median), the input left as it is. */
export const quantile = (values: number[], q: number): number =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))]!;
