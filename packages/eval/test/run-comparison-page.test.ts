import { describe, expect, it } from 'vitest';
import { lineChartSvg, movingAverage, runComparisonPage, seriesChartSvg } from '../src/index';

describe('the run comparison page', () => {
  it('draws a line through each step, scaled between min(0, values) and the maximum', () => {
    const svg = lineChartSvg('reward <per step>', [0, 2, 4], '#123456');
    // 420 × 160 with a 30 px margin: x from 30 to 390, y from 130 (0) to 30 (4).
    expect(svg).toContain('<path d="M30.0,130.0 L210.0,80.0 L390.0,30.0" fill="none" stroke="#123456"');
    expect(svg).toContain('<figcaption>reward &lt;per step&gt;</figcaption>');
    expect(svg).toContain('>step 3</text>');
  });

  it('tabulates runs, bolds the chosen columns, escapes text and links the reports', () => {
    const html = runComparisonPage({
      title: 'Demo & co',
      caption: 'Balanced accuracy (%)',
      columns: ['syn-mvtec', 'Average'],
      boldColumns: [1],
      rows: [{ label: 'Base <model>', cells: ['50.0', '50.0'] }, { label: 'PA-SFT', cells: ['61.2', '58.9'] }],
      links: ['eval/base-0shot/report.html'],
    });
    expect(html).toContain('<title>Demo &amp; co</title>');
    expect(html).toContain('<tr><th>Model</th><th>syn-mvtec</th><th>Average</th></tr>');
    expect(html).toContain('<tr><td>Base &lt;model&gt;</td><td>50.0</td><td><b>50.0</b></td></tr><tr><td>PA-SFT</td><td>61.2</td><td><b>58.9</b></td></tr>');
    expect(html).toContain('<li><a href="eval/base-0shot/report.html">eval/base-0shot/report.html</a></li>');
    expect(html).not.toMatch(/<script/);
  });

  it('smooths each series with a trailing moving average', () => {
    expect(movingAverage([1, 3, 5, 7], 2)).toEqual([1, 2, 4, 6]);
    expect(movingAverage([4, 0, 2, 6, 1], 3)).toEqual([4, 2, 2, 8 / 3, 3]);
    expect(() => movingAverage([1], 0)).toThrow(RangeError);
    const svg = seriesChartSvg('components', [{ name: 'answer', values: [0, 1, 0, 1], color: '#111111' }, { name: 'type <t>', values: [1, 1, 1, 1], color: '#222222' }], 2);
    // Raw and smoothed path per series; the smoothed "answer" is 0, 0.5, 0.5, 0.5.
    expect(svg.match(/<path /g)).toHaveLength(4);
    expect(svg).toContain('type &lt;t&gt;');
    expect(svg).toContain('moving average of 2');
  });
});
