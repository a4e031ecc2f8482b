/** A table's column headings; a heading ending in `#` is a right-aligned number column. */
export function Head({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((column) =>
          column.endsWith('#') ? (
            <th key={column} scope="col" className="number">
              {column.slice(0, -1)}
            </th>
          ) : (
            <th key={column} scope="col">
              {column}
            </th>
          ),
        )}
      </tr>
    </thead>
  )
}
