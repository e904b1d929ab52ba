"use client";

import { useId } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";

// One bar chart of the dashboard (Recharts), with its text alternative: a caption that says what
// it shows in words and the numbers as a table. The drawing itself is hidden from screen readers,
// which get the caption and the table instead.

export interface Series {
  key: string;
  label: string;
  color: string;
}

/** One bar (or stack): `label` names it in the table and the tooltip, `short` (if given) on the axis. */
export type Row = { label: string; short?: string } & Record<string, number | string>;

export interface BarsChartProps {
  title: string;
  caption: string;
  rows: Row[];
  series: Series[];
  stacked?: boolean;
  /** The table's first column heading. */
  rowHeader: string;
  /** Said instead of drawing an empty chart. */
  empty?: string;
}

export function BarsChart({ title, caption, rows, series, stacked = false, rowHeader, empty }: BarsChartProps) {
  const headingId = useId();
  const showTable = rows.filter((row) => series.some((s) => Number(row[s.key]) > 0));
  const axisKey = rows.some((row) => row.short !== undefined) ? "short" : "label";
  return (
    <figure className="panel chart-figure" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {rows.length === 0 && empty ? (
        <p className="empty">{empty}</p>
      ) : (
        <div className="chart-box" aria-hidden="true">
          <BarChart responsive data={rows} accessibilityLayer={false} margin={{ top: 8, right: 8, bottom: 4, left: -16 }} style={{ width: "100%", height: "100%" }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey={axisKey} tick={{ fontSize: 11 }} interval="preserveStartEnd" minTickGap={8} />
            <YAxis allowDecimals={false} tick={{ fontSize: 11 }} />
            <Tooltip />
            {series.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
            {series.map((s) => (
              <Bar key={s.key} dataKey={s.key} name={s.label} fill={s.color} stackId={stacked ? "stack" : undefined} maxBarSize={56} isAnimationActive={false} />
            ))}
          </BarChart>
        </div>
      )}
      <figcaption>{caption}</figcaption>
      <details>
        <summary>The numbers ({showTable.length === 0 ? "all zero" : `${showTable.length} non-empty ${showTable.length === 1 ? "row" : "rows"}`})</summary>
        {showTable.length > 0 && (
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">{rowHeader}</th>
                {series.map((s) => (
                  <th key={s.key} scope="col" className="num">
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {showTable.map((row, index) => (
                <tr key={index}>
                  <th scope="row">{row.label}</th>
                  {series.map((s) => (
                    <td key={s.key} className="num">
                      {row[s.key]}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </details>
    </figure>
  );
}
