// Inline SVG charts, drawn by hand (no library): dots with 95% intervals on a common axis, a trend line
// with its 95% band and n per bucket, and a heat map. Each chart is an image with a short label; the
// numbers themselves are in the table beside it. Colours are blue and orange (never red against green),
// and what matters is also told by shape and text: a low-sample score is a hollow diamond marked "low n".
(function () {
  'use strict';

  var SVG = 'http://www.w3.org/2000/svg';

  function element(name, attributes, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(width, height, label) {
    return element('svg', {
      viewBox: '0 0 ' + width + ' ' + height, width: width, role: 'img', 'aria-label': label,
      class: 'chart-svg', preserveAspectRatio: 'xMinYMin meet'
    });
  }

  /** Maps [min, max] onto [from, to]. */
  function scale(domain, from, to) {
    return function (value) {
      var t = (value - domain[0]) / (domain[1] - domain[0]);
      return from + Math.max(0, Math.min(1, t)) * (to - from);
    };
  }

  function ticks(domain, count) {
    var step = (domain[1] - domain[0]) / count;
    var result = [];
    for (var i = 0; i <= count; i++) result.push(domain[0] + i * step);
    return result;
  }

  /** The mark of one score: a filled circle, or a hollow diamond for a low sample. */
  function marker(x, y, lowSample) {
    if (lowSample) {
      return element('path', {
        d: 'M' + x + ' ' + (y - 6) + 'L' + (x + 6) + ' ' + y + 'L' + x + ' ' + (y + 6) + 'L' + (x - 6) + ' ' + y + 'Z',
        class: 'mark low-sample'
      });
    }
    return element('circle', { cx: x, cy: y, r: 5, class: 'mark' });
  }

  /**
   * One row per item: label, its value as a mark with its interval as a line, and a note on the right.
   * rows: [{ label, value, lower, upper, lowSample, note }]; domain: [min, max] of the axis.
   */
  function intervals(rows, domain, label) {
    var rowHeight = 26, left = 170, right = 230, width = 800, top = 24;
    var height = top + rows.length * rowHeight + 8;
    var x = scale(domain, left, width - right);
    var chart = svg(width, height, label);
    ticks(domain, 4).forEach(function (tick) {
      chart.appendChild(element('line', { x1: x(tick), x2: x(tick), y1: top - 6, y2: height - 4, class: 'grid' }));
      chart.appendChild(element('text', { x: x(tick), y: top - 10, class: 'axis', 'text-anchor': 'middle' },
        Number(tick.toFixed(1)).toString()));
    });
    rows.forEach(function (row, i) {
      var y = top + i * rowHeight + rowHeight / 2;
      chart.appendChild(element('text', { x: left - 10, y: y + 4, 'text-anchor': 'end', class: 'label' }, row.label));
      if (row.value !== null && row.value !== undefined) {
        if (row.lower !== null && row.lower !== undefined) {
          chart.appendChild(element('line', { x1: x(row.lower), x2: x(row.upper), y1: y, y2: y, class: 'interval' }));
        }
        chart.appendChild(marker(x(row.value), y, row.lowSample));
      }
      chart.appendChild(element('text', { x: width - right + 12, y: y + 4, class: 'note' }, row.note || ''));
    });
    return chart;
  }

  /**
   * A line over buckets with its 95% band, and n per bucket as bars underneath.
   * points: [{ label, value, lower, upper, n, lowSample }]; domain: [min, max] of the value axis.
   */
  function trend(points, domain, label) {
    var width = 760, height = 300, left = 48, right = 32, top = 16, plotBottom = 200, nTop = 224, bottom = 276;
    var chart = svg(width, height, label);
    var step = points.length > 1 ? (width - left - right) / (points.length - 1) : 0;
    var xAt = function (i) { return points.length > 1 ? left + i * step : (left + width - right) / 2; };
    var y = scale(domain, plotBottom, top);
    var maxN = Math.max.apply(null, [1].concat(points.map(function (p) { return p.n; })));
    var nHeight = scale([0, maxN], 0, bottom - nTop);
    ticks(domain, 4).forEach(function (tick) {
      chart.appendChild(element('line', { x1: left, x2: width - right, y1: y(tick), y2: y(tick), class: 'grid' }));
      chart.appendChild(element('text', { x: left - 6, y: y(tick) + 4, 'text-anchor': 'end', class: 'axis' },
        Number(tick.toFixed(1)).toString()));
    });
    // The band and the line break where a bucket has no value.
    var runs = [[]];
    points.forEach(function (p, i) {
      if (p.value === null) { runs.push([]); } else { runs[runs.length - 1].push(i); }
    });
    runs.filter(function (run) { return run.length; }).forEach(function (run) {
      var withBand = run.filter(function (i) { return points[i].lower !== null; });
      if (withBand.length) {
        var upper = withBand.map(function (i) { return xAt(i) + ',' + y(points[i].upper); });
        var lower = withBand.slice().reverse().map(function (i) { return xAt(i) + ',' + y(points[i].lower); });
        chart.appendChild(element('polygon', { points: upper.concat(lower).join(' '), class: 'band' }));
      }
      chart.appendChild(element('polyline', {
        points: run.map(function (i) { return xAt(i) + ',' + y(points[i].value); }).join(' '), class: 'line'
      }));
    });
    var labelEvery = Math.ceil(points.length / 12);
    points.forEach(function (p, i) {
      if (p.value !== null) chart.appendChild(marker(xAt(i), y(p.value), p.lowSample));
      var barWidth = Math.max(2, Math.min(24, step * 0.6));
      chart.appendChild(element('rect', {
        x: xAt(i) - barWidth / 2, y: bottom - nHeight(p.n), width: barWidth, height: nHeight(p.n), class: 'n-bar'
      }));
      if (i % labelEvery === 0) {
        chart.appendChild(element('text', { x: xAt(i), y: height - 6, 'text-anchor': 'middle', class: 'axis' }, p.label));
      }
    });
    chart.appendChild(element('text', { x: left - 6, y: nTop + 10, 'text-anchor': 'end', class: 'axis' }, 'n'));
    chart.appendChild(element('text', { x: left - 6, y: bottom, 'text-anchor': 'end', class: 'axis' }, '0'));
    return chart;
  }

  /** The heat map's shades: a share (in percent) from each lower bound on takes the next darker one. */
  var SHADES = [0, 5, 10, 20, 50];

  function shade(share) {
    var level = 0;
    SHADES.forEach(function (bound, i) { if (share >= bound) level = i; });
    return level;
  }

  /**
   * A grid of shares in percent, rows down and columns across, shaded light to dark blue (SHADES), each
   * cell labelled with its rounded share, and a legend. cells[row][column] is a number or null (no cell).
   */
  function heatMap(rowLabels, columnLabels, cells, label) {
    var cell = 44, rowHeight = 22, left = 96, top = 22, legend = 30;
    var width = Math.max(left + columnLabels.length * cell + 4, 520);
    var height = top + rowLabels.length * rowHeight + 4 + legend;
    var chart = svg(width, height, label);
    SHADES.forEach(function (bound, i) {
      var x = left + i * 84, y = height - legend + 8;
      var text = i + 1 < SHADES.length ? bound + '–' + SHADES[i + 1] + ' %' : '≥ ' + bound + ' %';
      chart.appendChild(element('rect', { x: x, y: y, width: 18, height: 14, class: 'heat heat-' + i }));
      chart.appendChild(element('text', { x: x + 24, y: y + 12, class: 'axis' }, text));
    });
    columnLabels.forEach(function (text, column) {
      chart.appendChild(element('text', { x: left + column * cell + cell / 2, y: top - 8, 'text-anchor': 'middle', class: 'axis' }, text));
    });
    rowLabels.forEach(function (text, row) {
      var y = top + row * rowHeight;
      chart.appendChild(element('text', { x: left - 8, y: y + rowHeight / 2 + 4, 'text-anchor': 'end', class: 'axis' }, text));
      cells[row].forEach(function (share, column) {
        if (share === null || share === undefined) return;
        var level = shade(share);
        var x = left + column * cell;
        chart.appendChild(element('rect', { x: x + 1, y: y + 1, width: cell - 2, height: rowHeight - 2, class: 'heat heat-' + level }));
        chart.appendChild(element('text', {
          x: x + cell / 2, y: y + rowHeight / 2 + 4, 'text-anchor': 'middle', class: 'heat-text heat-text-' + level
        }, Math.round(share).toString()));
      });
    });
    return chart;
  }

  window.Charts = { intervals: intervals, trend: trend, heatMap: heatMap };
})();
