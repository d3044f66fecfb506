// The dashboard's panels: each draws the API's answer as a chart and, always, as a table with the same
// numbers. Values are shown rounded (the API never rounds); empty values are "—". Whether a score has a
// low sample is the API's `lowSample` (its minimum sample), never decided here.
(function () {
  'use strict';

  var DASH = '—';
  /** The mark of a score below the API's minimum sample. */
  var LOW_N = '◇ low n';

  /** The touchpoint kinds in the order of the post-purchase journey (the schema's order). */
  var JOURNEY = ['ORDER_CONFIRMATION', 'SHIPPING', 'DELIVERY', 'ONBOARDING', 'PRODUCT_USAGE', 'SUPPORT',
    'FOLLOW_UP', 'RETURN', 'REVIEW_REQUEST', 'LOYALTY_PROGRAM'];

  /** The axis of each metric's scale; decimals shown. */
  var METRICS = {
    NPS: { domain: [-100, 100], decimals: 1, unit: 'NPS (−100 to 100)' },
    CSAT: { domain: [0, 100], decimals: 1, unit: 'CSAT (% satisfied)' },
    CES: { domain: [1, 7], decimals: 2, unit: 'CES (mean, 1 to 7)' }
  };

  /** `MOBILE_APP` becomes "Mobile app"; `SMS` stays. */
  function humanize(name) {
    if (name === null || name === undefined) return DASH;
    if (name === 'SMS') return name;
    var words = String(name).toLowerCase().replace(/_/g, ' ');
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function number(value, decimals) {
    if (value === null || value === undefined) return DASH;
    return Number(value).toLocaleString('en-US', {
      minimumFractionDigits: decimals, maximumFractionDigits: decimals
    });
  }

  function signed(value, decimals) {
    if (value === null || value === undefined) return DASH;
    return (value > 0 ? '+' : '') + number(value, decimals);
  }

  function html(name, attributes, children) {
    var node = document.createElement(name);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  /**
   * A table: a caption, column headers, and rows of cells (the first a row header). A row may be
   * `{ cells, lowSample }`, which marks the row.
   */
  function table(caption, headers, rows) {
    var head = html('tr', {}, headers.map(function (h) { return html('th', { scope: 'col' }, [h]); }));
    var body = rows.map(function (row) {
      var cells = row.cells || row;
      var tr = html('tr', row.lowSample ? { class: 'low-sample' } : {}, cells.map(function (cell, i) {
        return html(i === 0 ? 'th' : 'td', i === 0 ? { scope: 'row' } : {}, [cell]);
      }));
      return tr;
    });
    return html('table', {}, [html('caption', {}, [caption]), html('thead', {}, [head]), html('tbody', {}, body)]);
  }

  /** An interval, or empty bounds where the API has none (n < 2). */
  function bounds(interval) { return interval || { lower: null, upper: null }; }

  function lowSampleNote(lowSample) { return lowSample ? LOW_N : ''; }

  /** An amount of money as the API gives it (exact, in the currency's decimals), or a dash. */
  function money(value) {
    return value === null || value === undefined ? DASH : value.amount;
  }

  /** A test's verdict: yes, no, or a dash when there is no test (null is not "not significant"). */
  function verdict(significant) {
    if (significant === null || significant === undefined) return DASH;
    return significant ? 'yes' : 'no';
  }

  /** The change of a comparison row as words and an arrow: "▲ +5.5, significant". */
  function change(row, decimals) {
    if (row.delta === null || row.delta === undefined) return DASH;
    var arrow = row.delta > 0 ? '▲ ' : row.delta < 0 ? '▼ ' : '';
    return arrow + signed(row.delta, decimals) + (row.significant ? ', significant' : '');
  }

  function journey(data, metric) {
    var spec = METRICS[metric];
    var byKind = {};
    data.insights.satisfactionComparison.forEach(function (row) { byKind[row.touchpointKind] = row; });
    var kinds = JOURNEY.concat(byKind.null ? [null] : []);
    var rows = kinds.map(function (kind) {
      var row = byKind[kind] || null;
      var current = row ? row.current : { value: null, n: 0, lowSample: false, interval: null, responseRate: null };
      return { kind: kind, row: row, current: current };
    });
    var label = function (kind) { return kind === null ? 'Relationship surveys' : humanize(kind); };
    var chart = Charts.intervals(rows.map(function (r) {
      var interval = bounds(r.current.interval);
      return {
        label: label(r.kind), value: r.current.value, lower: interval.lower, upper: interval.upper,
        lowSample: r.current.lowSample,
        note: 'n ' + r.current.n + (r.current.lowSample ? ' ' + LOW_N : '') + (r.row ? '  ' + change(r.row, spec.decimals) : '')
      };
    }), spec.domain, spec.unit + ' by touchpoint kind in journey order, with 95% intervals');
    var numbers = table(spec.unit + ' by touchpoint kind, against the previous period of equal length',
      ['Touchpoint', 'Score', 'n', '95% lower', '95% upper', 'Response rate (%)', 'Previous score', 'Change',
        'p-value', 'Significant', 'Sample'],
      rows.map(function (r) {
        var interval = bounds(r.current.interval);
        return {
          lowSample: r.current.lowSample,
          cells: [label(r.kind), number(r.current.value, spec.decimals), String(r.current.n),
            number(interval.lower, spec.decimals), number(interval.upper, spec.decimals),
            number(r.current.responseRate, 1), r.row ? number(r.row.baseline.value, spec.decimals) : DASH,
            r.row ? change(r.row, spec.decimals) : DASH, r.row ? number(r.row.pValue, 3) : DASH,
            r.row ? verdict(r.row.significant) : DASH, lowSampleNote(r.current.lowSample)]
        };
      }));
    return { chart: chart, numbers: [numbers] };
  }

  function trend(data, metric, bucketLabel) {
    var spec = METRICS[metric];
    var points = data.insights.satisfaction.map(function (row) {
      var interval = bounds(row.score.interval);
      return {
        label: bucketLabel(row.periodStart), value: row.score.value, lower: interval.lower, upper: interval.upper,
        n: row.score.n, lowSample: row.score.lowSample
      };
    });
    var chart = Charts.trend(points, spec.domain, spec.unit + ' by bucket, with its 95% band and n per bucket');
    var numbers = table(spec.unit + ' by bucket', ['Bucket', 'Score', 'n', '95% lower', '95% upper', 'Sample'],
      points.map(function (p) {
        return {
          lowSample: p.lowSample,
          cells: [p.label, number(p.value, spec.decimals), String(p.n), number(p.lower, spec.decimals),
            number(p.upper, spec.decimals), lowSampleNote(p.lowSample)]
        };
      }));
    return { chart: chart, numbers: [numbers] };
  }

  function scoreRows(rows, key, spec) {
    return rows.map(function (row) {
      var interval = bounds(row.score.interval);
      return {
        label: row[key] === null ? 'No touchpoint' : key === 'channel' ? humanize(row[key]) : row[key],
        value: row.score.value, lower: interval.lower, upper: interval.upper, n: row.score.n,
        lowSample: row.score.lowSample, note: 'n ' + row.score.n + (row.score.lowSample ? ' ' + LOW_N : '')
      };
    });
  }

  function breakdowns(data, metric) {
    var spec = METRICS[metric];
    var groups = [['channels', 'channel', 'Channel'], ['segments', 'segment', 'Segment'], ['regions', 'region', 'Region']];
    var chart = html('div', { class: 'breakdown-charts' });
    var numbers = groups.map(function (group) {
      var rows = scoreRows(data.insights[group[0]], group[1], spec);
      chart.appendChild(html('h3', {}, ['By ' + group[2].toLowerCase()]));
      chart.appendChild(Charts.intervals(rows, spec.domain, spec.unit + ' by ' + group[1] + ', with 95% intervals'));
      return table(spec.unit + ' by ' + group[1], [group[2], 'Score', 'n', '95% lower', '95% upper', 'Sample'],
        rows.map(function (r) {
          return {
            lowSample: r.lowSample,
            cells: [r.label, number(r.value, spec.decimals), String(r.n), number(r.lower, spec.decimals),
              number(r.upper, spec.decimals), lowSampleNote(r.lowSample)]
          };
        }));
    });
    return { chart: chart, numbers: numbers };
  }

  /** The loyalty row of the chosen segment and region (the only row when neither is chosen). */
  function loyaltyRow(rows, segment, region) {
    return rows.filter(function (row) {
      return (!segment || row.segment === segment) && (!region || row.region === region);
    })[0] || null;
  }

  function loyalty(data, segment, region) {
    var row = loyaltyRow(data.insights.loyalty, segment, region);
    var figures = [
      ['Active customers', row ? String(row.activeCustomers) : DASH],
      ['Orders', row ? String(row.orderCount) : DASH],
      ['Repeat purchase rate (%)', row ? number(row.repeatPurchaseRate, 1) : DASH],
      ['Churn rate (%)', row ? number(row.churnRate, 1) : DASH]
    ];
    var tiles = html('div', { class: 'tiles' }, figures.map(function (figure) {
      return html('p', { class: 'tile' }, [html('span', { class: 'tile-value' }, [figure[1]]), figure[0]]);
    }));
    var currencies = row ? row.currencies : [];
    var numbers = [
      table('Customers and orders in the period', ['Figure', 'Value'], figures),
      table('Revenue, average order value and CLV per currency (never summed across currencies)',
        ['Currency', 'Orders', 'Revenue', 'Average order value', 'Historic CLV (mean)', 'Predicted CLV (heuristic)'],
        currencies.map(function (c) {
          return [c.currency, String(c.orderCount), c.revenue.amount, money(c.averageOrderAmount),
            money(c.historicClvMeanAmount), money(c.predictedClvHeuristicAmount)];
        }))
    ];
    return { chart: tiles, numbers: numbers };
  }

  function cohorts(data, bucketLabel) {
    var cells = data.insights.cohortRetention;
    var starts = [], sizes = {}, shares = {}, periods = 0;
    cells.forEach(function (cell) {
      if (!(cell.cohortStart in shares)) { starts.push(cell.cohortStart); shares[cell.cohortStart] = []; }
      sizes[cell.cohortStart] = cell.cohortSize;
      shares[cell.cohortStart][cell.periodIndex] = cell.share;
      periods = Math.max(periods, cell.periodIndex + 1);
    });
    var columns = [];
    for (var k = 0; k < periods; k++) columns.push(String(k));
    var grid = starts.map(function (start) {
      return columns.map(function (_, k) { return shares[start][k] === undefined ? null : shares[start][k]; });
    });
    var chart = Charts.heatMap(starts.map(bucketLabel), columns, grid,
      'Share of each cohort (by first order) ordering again k periods later, in percent');
    var numbers = table('Retention (%) by cohort (first order) and period k after it',
      ['Cohort', 'Customers'].concat(columns.map(function (k) { return 'k=' + k; })),
      starts.map(function (start, row) {
        return [bucketLabel(start), String(sizes[start])].concat(grid[row].map(function (share) { return number(share, 1); }));
      }));
    return { chart: chart, numbers: [numbers] };
  }

  function impact(data) {
    var rows = data.insights.touchpointImpact;
    var chart = Charts.intervals(rows.map(function (row) {
      var interval = bounds(row.interval);
      return {
        label: humanize(row.category), value: row.repurchaseRate, lower: interval.lower, upper: interval.upper,
        lowSample: false, note: row.customerCount + ' customers' + (row.significant ? ', significant' : '')
      };
    }), [0, 100], 'Repurchase rate (%) by answer category, with 95% intervals');
    var numbers = table('Customers ordering again within 90 days of their answer, by answer category',
      ['Category', 'Customers', 'Repurchased', 'Repurchase rate (%)', '95% lower', '95% upper',
        'Difference to best (pp)', 'Significant'],
      rows.map(function (row) {
        var interval = bounds(row.interval);
        return [humanize(row.category), String(row.customerCount), String(row.repurchasedCustomers),
          number(row.repurchaseRate, 1), number(interval.lower, 1), number(interval.upper, 1),
          signed(row.differenceToBest, 1), verdict(row.significant)];
      }));
    return { chart: chart, numbers: [numbers] };
  }

  window.Panels = {
    journey: journey, trend: trend, breakdowns: breakdowns, loyalty: loyalty, cohorts: cohorts, impact: impact,
    humanize: humanize, html: html
  };
})();
