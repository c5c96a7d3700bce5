"""The pieces every plot script here draws the same way, as plain SVG text (no dependencies):
the document with its title, a horizontal value grid with labels, and one line series with its
legend entry."""


def document(width, height, title):
    """Returns the SVG lines that open a drawing: the root element and the centred title."""
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
            f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>']


def value_grid(svg, left, right, top, height, values, vmax=1.0):
    """Appends a labelled grid line at each value (0 at the bottom, vmax at the top)."""
    for v in values:
        y = top + height - v / vmax * height
        svg.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#ddd"/>')
        svg.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.1f}</text>')


def line_series(svg, color, points, legend_x, legend_y, label):
    """Appends a polyline through points ("x,y" strings) and its legend swatch and label."""
    svg.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(points)}"/>')
    svg.append(f'<rect x="{legend_x}" y="{legend_y}" width="12" height="12" fill="{color}"/>')
    svg.append(f'<text x="{legend_x + 16}" y="{legend_y + 10}">{label}</text>')
