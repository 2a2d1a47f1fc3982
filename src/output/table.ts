// Plain aligned columns for stdout: two spaces between columns, no trailing spaces. Pure.

/** Pads each column to its widest cell (by code points); `right` lists right-aligned column indexes. */
export function formatTable(rows: readonly (readonly string[])[], right: readonly number[] = []): string {
  const width = (s: string) => [...s].length;
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, width(cell))));
  return rows
    .map((row) =>
      row
        .map((cell, i) => {
          const pad = ' '.repeat((widths[i] ?? 0) - width(cell));
          return right.includes(i) ? pad + cell : cell + pad;
        })
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}
