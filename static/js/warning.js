/* The warning signs of one report, from the limits the server derives from its rule table
 * (GET /report/warning-signs.json, domain/covid/signs.py). Used before the report reaches the
 * server, so a phone without network still says "call 115 now"; the server's assessment of
 * the stored report is the real answer. tests/test_offline_rules.py checks this script
 * against the server's rules on many reports.
 *
 * values: {symptoms: [names], temperature_c, spo2, spo2_recheck, pulse, respiratory_rate,
 *          systolic_bp, diastolic_bp} (numbers or null). Returns the sign codes, in the
 * server's order (W1..W12, C2).
 */
(function (root) {
  "use strict";

  function upto(table, x) {  // [[inclusive upper bound or null (infinity), points], ...]
    for (var i = 0; i < table.length; i++) {
      if (table[i][0] === null || x <= table[i][0]) return table[i][1];
    }
    return table[table.length - 1][1];
  }

  function num(v) { return v === null || v === undefined || v === "" || isNaN(v) ? null : Number(v); }

  function signs(limits, values) {
    var out = [], sym = {}, codes = limits.symptoms;
    (values.symptoms || []).forEach(function (s) { sym[s] = true; });
    var rr = num(values.respiratory_rate), pulse = num(values.pulse), t = num(values.temperature_c);
    var sbp = num(values.systolic_bp), dbp = num(values.diastolic_bp);
    var spo2 = num(values.spo2_recheck) !== null ? num(values.spo2_recheck) : num(values.spo2);
    if (sym.shortness_of_breath) out.push("W1");
    if (rr !== null && (rr >= limits.rr_fast_from || (limits.rr_slow_upto !== null && limits.rr_slow_upto !== undefined && rr <= limits.rr_slow_upto))) out.push("W2");
    if (spo2 !== null && (spo2 < limits.spo2.limit || (limits.spo2.op === "<=" && spo2 === limits.spo2.limit))) out.push("W3");
    if (pulse !== null && limits.pulse && (pulse < limits.pulse[0] || pulse > limits.pulse[1])) out.push("W4");
    if (limits.bp && ((sbp !== null && sbp < limits.bp[0]) || (dbp !== null && dbp < limits.bp[1]))) out.push("W5");
    Object.keys(codes).forEach(function (name) {  // W6-W10 in code order, then W11
      var code = codes[name];
      if (code !== "W1" && code !== "W11" && sym[name]) out.push(code);
    });
    var n = limits.news2;
    if (sym.wants_call) out.push("W11");
    if (n) {  // W12: the NEWS2 parameters present already add up to the limit
      var total = n.air + (sym.altered_consciousness ? n.confused : n.alert);
      if (rr !== null) total += upto(n.respiratory_rate, rr);
      if (spo2 !== null) total += upto(n.spo2, spo2);
      if (sbp !== null) total += upto(n.systolic_bp, sbp);
      if (pulse !== null) total += upto(n.pulse, pulse);
      if (t !== null) total += upto(n.temperature_c, t);
      if (total >= n.from) out.push("W12");
    }
    if (limits.high_fever_above !== null && t !== null && t > limits.high_fever_above) out.push("C2");
    out.sort(function (a, b) { return order(a) - order(b); });
    return out;
  }

  function order(code) { return code === "C2" ? 100 : parseInt(code.slice(1), 10); }

  root.F0Warning = { signs: signs };
})(typeof self !== "undefined" ? self : window);
