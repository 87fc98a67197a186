// The one page style of `fleetlab report` and `fleetlab compare --format html`: a self-contained HTML document
// (inline CSS, inline SVG, no scripts, nothing fetched), so it can be mailed, attached to a ticket or opened offline.
import { escapeXml } from './charts.ts'

export const escapeHtml = escapeXml

const CSS = `
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: #1a7f37; font-weight: bold; } .fail { color: #c62828; font-weight: bold; }
.sig { background: #fff4d6; }
.incomplete { background: #fdecea; border: 1px solid #f5c2c0; padding: 8px 12px; }
figure { margin: 16px 0; } figure svg { max-width: 100%; height: auto; border: 1px solid #eee; }
pre { background: #f7f7f7; padding: 12px; overflow-x: auto; font-size: 12px; }
.note { color: #666; font-size: 12px; }
`

export function htmlPage (title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
</body>
</html>
`
}

export type HtmlCell = string | number | { html: string, class?: string }

/** A table; numbers are right-aligned, `{ html }` cells are inserted as they are. */
export function htmlTable (header: string[], rows: HtmlCell[][]): string {
  const cell = (c: HtmlCell): string => {
    if (typeof c === 'number') return `<td class="num">${escapeHtml(String(c))}</td>`
    if (typeof c === 'string') return `<td${/^[-+]?[\d.,]+( ?[A-Za-z%µ]+)?$/.test(c) ? ' class="num"' : ''}>${escapeHtml(c)}</td>`
    return `<td${c.class === undefined ? '' : ` class="${c.class}"`}>${c.html}</td>`
  }
  return `<table>\n<tr>${header.map(h => `<th>${escapeHtml(h)}</th>`).join('')}</tr>\n` +
    rows.map(r => `<tr>${r.map(cell).join('')}</tr>`).join('\n') + '\n</table>'
}

export function figure (svg: string): string {
  return `<figure>\n${svg}\n</figure>`
}
