import type { ReactNode } from "react";

// The console's lists: a real table on wide screens, stacked cards below 720 px (console.css),
// where each cell shows its column's name from `data-label`, so a cell's label is always its header.

export interface Column<Row> {
  /** The header, and each cell's label on a phone. */
  label: string;
  /** A number column: header and cells right-aligned. */
  num?: boolean;
  /** The cells' class (the header keeps none). */
  className?: string;
  cell: (row: Row) => ReactNode;
}

export function StackedTable<Row>({
  id,
  caption,
  hiddenCaption = false,
  columns,
  rows,
  rowKey,
}: {
  id?: string;
  caption: ReactNode;
  /** The caption for assistive technology only (a heading above says it already). */
  hiddenCaption?: boolean;
  columns: ReadonlyArray<Column<Row>>;
  rows: readonly Row[];
  rowKey: (row: Row, index: number) => string;
}) {
  return (
    <table className="data-table stack" id={id}>
      <caption className={hiddenCaption ? "sr-only" : undefined}>{caption}</caption>
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column.label} scope="col" className={column.num ? "num" : undefined}>
              {column.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, index) => (
          <tr key={rowKey(row, index)}>
            {columns.map((column) => (
              <td key={column.label} data-label={column.label} className={column.num ? "num" : column.className}>
                {column.cell(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
