// A vega-lite spec with the harness's look (fonts that resvg has, fixed width), for the charts that
// scenarios bring. Building a spec is pure; rendering lives in charts.ts.
import type { TopLevelSpec } from 'vega-lite';

const WIDTH = 520;
export const CHART_FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const config = {
  font: CHART_FONT,
  view: { stroke: null },
  axis: { labelFont: CHART_FONT, titleFont: CHART_FONT },
  legend: { labelFont: CHART_FONT, titleFont: CHART_FONT },
  title: { font: CHART_FONT },
};

export function vegaLite(title: string, body: Record<string, unknown>): TopLevelSpec {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title, width: WIDTH, config, ...body } as TopLevelSpec;
}
