/*
 * landing.c - the status page at /: links, and one row per worker (the
 * library's own or a daemon's processes) kept live from GET /events by a
 * short script, with no external assets.
 *
 * Per worker: the state as a coloured cell, since when (date and time),
 * the number of changes of state since the handler started (counted on
 * the server and sent in every event, so a page opened late shows the
 * same count), the reason, the status text, the last exit reason and a
 * strip of the last state changes seen by the page. Rows stay in name
 * order; check boxes filter by state (also set from the address:
 * `/#state=down` or `#state=idle,down`). Every text from an event is
 * inserted with textContent, never as HTML.
 */
#include "http.h"

#include <stdio.h>
#include <string.h>

/*
 * The page, in pieces (a C string literal may be at most 4095 bytes);
 * the one %s is the metrics path (valid_path: no character needs escaping).
 */
static const char head[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<title>extatus exporter</title>\n"
    "<style>\n"
    "body { font-family: sans-serif; margin: 2em; }\n"
    "table { border-collapse: collapse; }\n"
    "th, td { border: 1px solid #bbb; padding: 0.3em 0.8em; text-align: left; }\n"
    "td.changes { text-align: right; }\n"
    "td.state, td.since { white-space: nowrap; }\n"
    "td.text { max-width: 30em; overflow-wrap: anywhere; }\n"
    "tr.up td.state, .strip span.up, label.up { background: #c8f0c8; }\n"
    "tr.idle td.state, .strip span.idle, label.idle { background: #f8eca0; }\n"
    "tr.down td.state, .strip span.down, label.down { background: #f4c0c0; }\n"
    ".strip span { display: inline-block; width: 0.7em; height: 1.1em; margin-right: 1px; }\n"
    "#filter label { padding: 0.2em 0.6em; margin-right: 0.5em; }\n"
    "</style>\n"
    "</head>\n";

static const char body[] =
    "<body>\n"
    "<h1>extatus exporter</h1>\n"
    "<ul>\n"
    "<li><a href=\"%s\">Metrics</a></li>\n"
    "<li><a href=\"/events\">Status events</a> (Server-Sent Events)</li>\n"
    "</ul>\n"
    "<h2>Workers</h2>\n"
    "<p id=\"stream\">connecting...</p>\n"
    "<p id=\"filter\">Show:\n"
    "<label class=\"up\"><input type=\"checkbox\" value=\"up\" checked> up "
    "<span class=\"count\">0</span></label>\n"
    "<label class=\"idle\"><input type=\"checkbox\" value=\"idle\" checked> idle "
    "<span class=\"count\">0</span></label>\n"
    "<label class=\"down\"><input type=\"checkbox\" value=\"down\" checked> down "
    "<span class=\"count\">0</span></label>\n"
    "</p>\n"
    "<table id=\"workers\">\n"
    "<thead><tr><th>worker</th><th>state</th><th>reason</th><th>since</th>"
    "<th>changes</th><th>status text</th><th>last exit</th><th>recent changes</th></tr></thead>\n"
    "<tbody></tbody>\n"
    "</table>\n"
    "<script>\n";

static const char script_start[] =
    "(function () {\n"
    "  var STRIP = 20;\n"
    "  var rows = {};\n"
    "  var body = document.querySelector('#workers tbody');\n"
    "  var stream = document.getElementById('stream');\n"
    "  var boxes = document.querySelectorAll('#filter input');\n"
    "  function from_address() {\n"
    "    var wanted = /(?:^#|&)state=([a-z,]*)/.exec(location.hash);\n"
    "    var shown = wanted ? wanted[1].split(',') : ['up', 'idle', 'down'];\n"
    "    boxes.forEach(function (box) { box.checked = shown.indexOf(box.value) >= 0; });\n"
    "  }\n"
    "  from_address();\n"
    "  window.addEventListener('hashchange', function () { from_address(); filter(); });\n"
    "  function pad(n) { return (n < 10 ? '0' : '') + n; }\n"
    "  function stamp(seconds) {\n"
    "    var d = new Date(seconds * 1000);\n"
    "    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +\n"
    "      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());\n"
    "  }\n"
    "  function filter() {\n"
    "    var show = {}, counts = {up: 0, idle: 0, down: 0};\n"
    "    boxes.forEach(function (box) { show[box.value] = box.checked; });\n"
    "    Object.keys(rows).forEach(function (name) {\n"
    "      var state = rows[name].getAttribute('data-state');\n"
    "      counts[state]++;\n"
    "      rows[name].hidden = !show[state];\n"
    "    });\n"
    "    boxes.forEach(function (box) {\n"
    "      box.parentNode.querySelector('.count').textContent = counts[box.value];\n"
    "    });\n"
    "  }\n"
    "  boxes.forEach(function (box) { box.addEventListener('change', filter); });\n"
    "  function row_of(name) {\n"
    "    var row = rows[name];\n"
    "    if (row)\n"
    "      return row;\n"
    "    row = document.createElement('tr');\n"
    "    ['name', 'state', 'reason', 'since', 'changes', 'text', 'last_exit', 'strip']"
    ".forEach(function (field) {\n"
    "      var cell = document.createElement('td');\n"
    "      cell.className = field;\n"
    "      row.appendChild(cell);\n"
    "    });\n"
    "    row.cells[0].textContent = name;\n"
    "    row.setAttribute('data-name', name);\n"
    "    row.setAttribute('data-history', '');\n"
    "    rows[name] = row;\n"
    "    var next = null;\n"
    "    for (var i = 0; i < body.rows.length; i++) {\n"
    "      if (body.rows[i].getAttribute('data-name') > name) {\n"
    "        next = body.rows[i];\n"
    "        break;\n"
    "      }\n"
    "    }\n"
    "    body.insertBefore(row, next);\n"
    "    return row;\n"
    "  }\n"
    "  source_open();\n";

static const char script_end[] =
    "  function source_open() {\n"
    "    var source = new EventSource('/events');\n"
    "    source.addEventListener('connected', function () { stream.textContent = 'live'; });\n"
    "    source.onerror = function () { stream.textContent = 'reconnecting...'; };\n"
    "    source.onmessage = function (message) {\n"
    "      var event = JSON.parse(message.data);\n"
    "      var row = row_of(event.name);\n"
    "      var seen = Number(row.getAttribute('data-changes') || -1);\n"
    "      if (event.changes !== seen || !row.getAttribute('data-history')) {\n"
    "        var history = row.getAttribute('data-history');\n"
    "        row.setAttribute('data-history', history ? history + ' ' + event.state : "
    "event.state);\n"
    "        var strip = row.cells[7];\n"
    "        var mark = document.createElement('span');\n"
    "        mark.className = event.state;\n"
    "        mark.title = event.state + ' (' + event.reason + ') ' + stamp(event.time);\n"
    "        strip.appendChild(mark);\n"
    "        while (strip.childNodes.length > STRIP)\n"
    "          strip.removeChild(strip.firstChild);\n"
    "      }\n"
    "      row.setAttribute('data-changes', event.changes);\n"
    "      row.setAttribute('data-state', event.state);\n"
    "      row.className = event.state;\n"
    "      row.cells[1].textContent = event.state + ' (' + event.value + ')';\n"
    "      row.cells[2].textContent = event.reason;\n"
    "      row.cells[3].textContent = stamp(event.time);\n"
    "      row.cells[4].textContent = event.changes;\n"
    "      row.cells[5].textContent = event.text || '';\n"
    "      row.cells[6].textContent = event.last_exit || '';\n"
    "      filter();\n"
    "    };\n"
    "  }\n"
    "})();\n"
    "</script>\n"
    "</body>\n"
    "</html>\n";

char *extatus__http_landing_page(const char *metrics_path)
{
    size_t size =
        sizeof head + sizeof body + strlen(metrics_path) + sizeof script_start + sizeof script_end;
    char *html = extatus_malloc(size);
    if (html)
        snprintf(html, size, "%s", head);
    if (html)
        snprintf(html + strlen(html), size - strlen(html), body, metrics_path);
    if (html)
        snprintf(html + strlen(html), size - strlen(html), "%s%s", script_start, script_end);
    return html;
}
