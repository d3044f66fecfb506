// The dashboard page: its filters live in the URL's query string (so a view can be shared and the back
// button works); each change re-runs the panels' queries with the new variables. Dates are calendar days
// in the chosen time zone: the period is [from 00:00, the day after `to` 00:00) there.
// While it loads, <body data-state="loading">; once every query has its answer (or its error), "ready".
(function () {
  'use strict';

  var form = document.getElementById('filters');
  var status = document.getElementById('status');
  var keyForm = document.getElementById('key-form');
  var forgetKey = document.getElementById('forget-key');
  var FILTERS = ['from', 'to', 'tz', 'metric', 'granularity', 'segment', 'region', 'channel'];
  var CHOICES = { metric: ['NPS', 'CSAT', 'CES'], granularity: ['WEEK', 'MONTH'] };
  var DATE = /^\d{4}-\d{2}-\d{2}$/;
  /** Periods the cohort heat map follows each cohort for, its own included. */
  var COHORT_PERIODS = 12;
  var DAY = 86400000;
  var generation = 0;
  var dimensionsMetric = null;

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function isoDate(ms) { var d = new Date(ms); return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()); }
  function dateMs(date) { var p = date.split('-').map(Number); return Date.UTC(p[0], p[1] - 1, p[2]); }

  /** The twelve whole calendar months before the current one. */
  function defaults() {
    var now = new Date();
    return {
      from: isoDate(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 12, 1)),
      to: isoDate(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0)),
      tz: 'UTC', metric: 'NPS', granularity: 'MONTH', segment: '', region: '', channel: ''
    };
  }

  function validZone(zone) {
    try { new Intl.DateTimeFormat('en-US', { timeZone: zone }); return true; } catch (e) { return false; }
  }

  /** The filters the URL names, each checked, and the defaults for the rest. */
  function fromUrl() {
    var params = new URLSearchParams(window.location.search);
    var filters = defaults();
    FILTERS.forEach(function (name) {
      var value = params.get(name);
      if (value === null) return;
      if (CHOICES[name] && CHOICES[name].indexOf(value) < 0) return;
      if ((name === 'from' || name === 'to') && !DATE.test(value)) return;
      if (name === 'tz' && !validZone(value)) return;
      filters[name] = value;
    });
    return filters;
  }

  function toUrl(filters) {
    var params = new URLSearchParams();
    FILTERS.forEach(function (name) { if (filters[name]) params.set(name, filters[name]); });
    return '?' + params.toString();
  }

  function ensureOption(select, value, label) {
    if (!Array.from(select.options).some(function (o) { return o.value === value; })) {
      select.appendChild(Panels.html('option', { value: value }, [label || value]));
    }
  }

  function toForm(filters) {
    FILTERS.forEach(function (name) {
      var field = form.elements[name];
      if (field.tagName === 'SELECT' && filters[name]) ensureOption(field, filters[name]);
      field.value = filters[name];
    });
  }

  function fromForm() {
    var filters = {};
    FILTERS.forEach(function (name) { filters[name] = form.elements[name].value; });
    return filters;
  }

  /** Milliseconds `zone` is ahead of UTC at the instant `ms`. */
  function offset(ms, zone) {
    var parts = {};
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit'
    }).formatToParts(new Date(ms)).forEach(function (part) { parts[part.type] = part.value; });
    var local = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
    return local - Math.floor(ms / 1000) * 1000;
  }

  /** The instant (RFC 3339, UTC) of 00:00 on calendar day `ms` (a UTC midnight) in `zone`. */
  function midnight(ms, zone) {
    var instant = ms - offset(ms, zone);
    instant = ms - offset(instant, zone);
    return new Date(instant).toISOString().replace('.000Z', 'Z');
  }

  /** A bucket's start as the calendar day (or month) it is in `zone`. */
  function bucketLabel(filters) {
    var format = new Intl.DateTimeFormat('en-CA', { timeZone: filters.tz, year: 'numeric', month: '2-digit', day: '2-digit' });
    return function (instant) {
      var day = format.format(new Date(instant));
      return filters.granularity === 'MONTH' ? day.slice(0, 7) : day;
    };
  }

  /** How many buckets of the granularity the period touches. */
  function buckets(filters) {
    if (filters.granularity === 'MONTH') {
      var from = filters.from.split('-').map(Number), to = filters.to.split('-').map(Number);
      return (to[0] - from[0]) * 12 + (to[1] - from[1]) + 1;
    }
    return Math.ceil((dateMs(filters.to) - dateMs(filters.from) + DAY) / (7 * DAY));
  }

  /** Every query's variables for the filters. */
  function variables(filters) {
    var period = { from: midnight(dateMs(filters.from), filters.tz), to: midnight(dateMs(filters.to) + DAY, filters.tz) };
    var filter = { period: period };
    if (filters.segment) filter.segments = [filters.segment];
    if (filters.region) filter.regions = [filters.region];
    if (filters.channel) filter.channels = [filters.channel];
    var groupBy = (filters.segment ? ['SEGMENT'] : []).concat(filters.region ? ['REGION'] : []);
    var loyalty = {
      period: period, groupBy: groupBy, cohortGranularity: filters.granularity,
      cohortPeriods: Math.max(1, Math.min(COHORT_PERIODS, buckets(filters))), timeZone: filters.tz,
      metric: filters.metric
    };
    // Repurchase windows must have ended by the period's end, which cannot be later than now.
    if (Date.parse(period.to) < Date.now()) loyalty.asOf = period.to;
    return {
      journey: { metric: filters.metric, filter: filter },
      trend: { metric: filters.metric, filter: filter, series: { granularity: filters.granularity, timeZone: filters.tz } },
      breakdowns: { metric: filters.metric, filter: filter },
      loyalty: loyalty
    };
  }

  function section(id) { return document.getElementById(id); }

  function show(id, drawn) {
    var chart = section(id).querySelector('.chart'), numbers = section(id).querySelector('.numbers');
    chart.replaceChildren(drawn.chart);
    numbers.replaceChildren.apply(numbers, drawn.numbers);
  }

  function showError(ids, error) {
    var codes = error.codes || [];
    if (codes.indexOf('UNAUTHENTICATED') >= 0 || codes.indexOf('FORBIDDEN') >= 0) askForKey(error.message);
    ids.forEach(function (id) {
      section(id).querySelector('.chart').replaceChildren(Panels.html('p', { class: 'error', role: 'alert' }, [error.message]));
      section(id).querySelector('.numbers').replaceChildren();
    });
  }

  function askForKey(message) {
    document.getElementById('key-message').textContent = message + ' — enter an API key (the VIEWER role is enough); ' +
      'it is kept for this browser session only.';
    keyForm.hidden = false;
  }

  /** Runs `operation` and draws each of `panels` ({ sectionId: draw(data) }) from its answer. */
  function load(mine, operation, values, panels) {
    var ids = Object.keys(panels);
    return InsightsApi.run(operation, values).then(function (data) {
      if (mine !== generation) return 0;
      ids.forEach(function (id) { show(id, panels[id](data)); });
      return 0;
    }, function (error) {
      if (mine === generation) showError(ids, error);
      return 1;
    });
  }

  /**
   * Fills the segment, region and channel choices with the values that have answers of the metric (once
   * per metric); resolves to 0 when they are there, 1 when they could not be read.
   */
  function loadDimensions(filters) {
    if (dimensionsMetric === filters.metric) return Promise.resolve(0);
    dimensionsMetric = filters.metric;
    return InsightsApi.run('DashboardDimensions', { metric: filters.metric }).then(function (data) {
      [['segment', 'segments'], ['region', 'regions'], ['channel', 'channels']].forEach(function (pair) {
        var select = form.elements[pair[0]];
        data.insights[pair[1]].forEach(function (row) {
          var value = row[pair[0]];
          if (value !== null) ensureOption(select, value, pair[0] === 'channel' ? Panels.humanize(value) : value);
        });
      });
      return 0;
    }, function () {
      dimensionsMetric = null;
      return 1;
    });
  }

  function refresh() {
    var filters = fromForm();
    var mine = ++generation;
    forgetKey.hidden = !InsightsApi.hasKey();
    if (filters.from > filters.to) {
      status.textContent = 'The period ends before it starts: pick a "To" date on or after "From".';
      document.body.dataset.state = 'ready';
      return;
    }
    document.body.dataset.state = 'loading';
    status.textContent = 'Loading…';
    var values = variables(filters), label = bucketLabel(filters), metric = filters.metric;
    Promise.all([
      loadDimensions(filters),
      load(mine, 'DashboardJourney', values.journey, { journey: function (d) { return Panels.journey(d, metric); } }),
      load(mine, 'DashboardTrend', values.trend, { trend: function (d) { return Panels.trend(d, metric, label); } }),
      load(mine, 'DashboardBreakdowns', values.breakdowns, { breakdowns: function (d) { return Panels.breakdowns(d, metric); } }),
      load(mine, 'DashboardLoyalty', values.loyalty, {
        loyalty: function (d) { return Panels.loyalty(d, filters.segment, filters.region); },
        cohorts: function (d) { return Panels.cohorts(d, label); },
        impact: Panels.impact
      })
    ]).then(function (failures) {
      if (mine !== generation) return;
      var failed = failures.reduce(function (a, b) { return a + b; }, 0);
      status.textContent = (failed ? failed + ' of 5 queries failed. ' : '') + filters.metric + ', ' + filters.from +
        ' to ' + filters.to + ' (' + filters.tz + ').';
      document.body.dataset.state = 'ready';
    });
  }

  function fillTimeZones(select) {
    var zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    ['UTC'].concat(zones.filter(function (z) { return z !== 'UTC'; })).forEach(function (zone) {
      select.appendChild(Panels.html('option', { value: zone }, [zone]));
    });
  }

  fillTimeZones(form.elements.tz);
  toForm(fromUrl());
  window.history.replaceState(null, '', toUrl(fromForm()));
  form.addEventListener('change', function () {
    window.history.pushState(null, '', toUrl(fromForm()));
    refresh();
  });
  form.addEventListener('submit', function (event) { event.preventDefault(); });
  window.addEventListener('popstate', function () { toForm(fromUrl()); refresh(); });
  keyForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var key = keyForm.elements.key.value.trim();
    if (!key) return;
    InsightsApi.setKey(key);
    keyForm.elements.key.value = '';
    keyForm.hidden = true;
    dimensionsMetric = null;
    refresh();
  });
  forgetKey.addEventListener('click', function () {
    InsightsApi.forgetKey();
    dimensionsMetric = null;
    refresh();
  });
  refresh();
})();
