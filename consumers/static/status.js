"use strict";
// The status page's script: follows the server's event stream (/events) and redraws only what
// changed: the rows of the stations concerned, the trains on the map (which glide from station
// to station), the weather. Every text goes through textContent, so names are never parsed as
// HTML. Times to the next train count down between updates against the server's clock.
//
// The stream survives the server: while it cannot be reached, the browser retries by itself
// (every `retry` ms the server asked for) and the page keeps its last picture, marked
// "reconnecting". An answer that is not an event stream (a 5xx while the server starts, a proxy's
// error page) makes the browser give up on that EventSource for good: the script then opens a new
// one, after a capped, jittered backoff. Each connection starts with a snapshot, which replaces the
// whole picture: trains it does not show leave the map, and the sequence numbers of the updates
// that follow are the new server's.
(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const TRAIN_OFFSET = 6; // map units between a line and its trains, a side per direction
  const TRAIN_R = 5; // map units: a train's radius on a track of its own
  const TRAIN_SHARED_R = 2.9; // and where lines run side by side, a lane apart
  const TRAIN_AHEAD = 3.2; // map units along a shared track between a station and its trains
  const LANE = 6; // map units between the middles of lines sharing a track
  const LOOP_LINES = 4; // a station with this many lines or more is on the Loop: the map's centre
  const LOOP_ZOOM = 6; // how much the map magnifies the Loop (M), 1 for not at all
  const MAP_WIDTH = 600; // map units across the lines
  const MARGIN = 60; // map units around the lines, room for the terminals' names
  const CLEAR = 3.5; // map units between a terminal's name and a line, at least: half a line's width and a little
  const LABEL_CHAR = 8; // map units a character of a terminal's name takes, about (if it cannot be measured)
  const REOPEN_FIRST = 1000; // ms before the first new EventSource after the browser closed one
  const REOPEN_MAX = 10000; // ms: the backoff doubles up to this
  const state = {
    lines: {}, // color -> {color, towards, stations: [...], byId: Map, due: {}}
    layout: "", // the lines' colors and stations, as the map was drawn for them
    sequence: null, // number of the last event applied; null before the first snapshot
    clockOffset: 0, // server clock minus ours, in ms
    places: null, // "line:station id" -> where the line's trains stand there: {x, y, shared, offset}
    trains: new Map(), // "line:train_id" -> SVG group
    moves: 0,
    ridership: { hours: [], labels: [], stations: new Map(), busiest: [] }, // entries per station and simulated hour (TURNSTILE_HOURLY)
  };
  const stream = {
    source: null, // the EventSource followed; events of an older one are ignored
    reopening: null, // timer of the next new EventSource
    failures: 0, // new EventSources opened in a row without a snapshot: sets the backoff
    // Counted for the browser test (data-* attributes of #live):
    opens: 0, // connections opened
    errors: 0, // error events: a connection lost, or an attempt that failed
    reopened: 0, // EventSources the script made anew after the browser closed one
    snapshots: 0,
  };

  // --- small helpers -----------------------------------------------------------------------
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(tag, attributes, parent) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (parent) parent.appendChild(node);
    return node;
  }

  function serverNow() {
    return Date.now() + state.clockOffset;
  }

  function dueText(due) {
    if (due === null || due === undefined) return "";
    const seconds = Math.round((due - serverNow()) / 1000);
    if (seconds <= 0) return "due";
    if (seconds < 60) return `${seconds} s`;
    return `${Math.round(seconds / 60)} min`;
  }

  function title(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  // --- the tables --------------------------------------------------------------------------
  function platformCell(cell, line, station, direction) {
    cell.replaceChildren();
    const train = station[direction];
    if (train) {
      const pill = el("span", `train ${train.status}`, train.train_id);
      pill.title = `${train.train_id}: ${train.status.replace(/_/g, " ")}`;
      cell.appendChild(pill);
      return;
    }
    const due = (line.due[station.station_id] || {})[direction];
    const text = dueText(due);
    if (text) {
      const span = el("span", "due", text);
      span.title = "next train, estimated from observed travel times";
      cell.appendChild(span);
    }
  }

  // A name may wrap after a slash (Washington/ Wabash): a <wbr>, which adds no text.
  function nameCell(cell, name) {
    cell.replaceChildren();
    name.split("/").forEach((part, i) => {
      if (i) cell.append("/", document.createElement("wbr"));
      cell.append(part);
    });
  }

  function fillRow(row, line, station) {
    nameCell(row.cells[0], station.name);
    platformCell(row.cells[1], line, station, "a");
    platformCell(row.cells[2], line, station, "b");
    fillBars(row.cells[3], station.station_id);
    row.cells[4].textContent = station.entries === null ? "" : station.entries.toLocaleString("en-US");
  }

  // --- ridership by hour: a small bar chart per station, the busiest stations of the hour ----
  function fillBars(cell, stationId) {
    cell.replaceChildren();
    const series = state.ridership.stations.get(String(stationId));
    if (!series || !series.length) return;
    const top = Math.max(...series) || 1;
    const chart = svg("svg", { class: "bars", viewBox: `0 0 ${6 * series.length} 16`, width: 6 * series.length, height: 16, role: "img" });
    series.forEach((n, i) => {
      const h = n ? Math.max(1, Math.round((15 * n) / top)) : 0;
      const bar = svg("rect", { x: 6 * i, y: 16 - h, width: 5, height: h }, chart);
      const label = state.ridership.labels[i];
      svg("title", {}, bar).textContent = `${label ? `${label}: ` : ""}${n.toLocaleString("en-US")}`;
    });
    cell.appendChild(chart);
  }

  // A snapshot's ridership replaces the page's; an update's adds the charts that changed (all of
  // them when a new hour began: "full").
  function applyRidership(ridership) {
    const known = state.ridership;
    if (ridership.full) known.stations = new Map();
    for (const [id, series] of Object.entries(ridership.stations)) known.stations.set(id, series);
    known.hours = ridership.hours;
    known.labels = ridership.labels;
    known.busiest = ridership.busiest;
    const ids = ridership.full ? null : new Set(Object.keys(ridership.stations));
    for (const line of Object.values(state.lines)) {
      for (const station of line.stations) {
        if (ids && !ids.has(String(station.station_id))) continue;
        const row = rowOf(line.color, station.station_id);
        if (row) fillBars(row.cells[3], station.station_id);
      }
    }
    renderBusiest();
    renderHours();
  }

  // The simulated hours the charts and the busiest list are for, as the server renders them ("14:00").
  function renderHours() {
    const labels = state.ridership.labels;
    const last = labels[labels.length - 1];
    const following = last ? `${String((Number(last.slice(0, 2)) + 1) % 24).padStart(2, "0")}:00` : "";
    document.getElementById("busiest-hour").textContent = last ? `${last}\u2013${following}` : "this hour";
    const range = last ? `${labels[0]}\u2013\u200b${last}` : "";
    for (const cell of document.querySelectorAll("th.spark")) {
      let hours = cell.querySelector(".hours");
      if (!hours) hours = cell.appendChild(el("span", "hours"));
      hours.textContent = range;
    }
  }

  function stationName(id) {
    for (const line of Object.values(state.lines)) {
      if (line.byId && line.byId.has(id)) return line.byId.get(id).name;
    }
    return `#${id}`;
  }

  function renderBusiest() {
    const list = document.getElementById("busiest");
    list.replaceChildren();
    const busiest = state.ridership.busiest;
    for (const busy of busiest) {
      const item = el("li");
      item.dataset.station = busy.station_id;
      item.appendChild(el("span", "name", stationName(busy.station_id)));
      const bar = el("span", "bar");
      bar.style.width = `${Math.round((100 * busy.entries) / busiest[0].entries)}%`;
      item.appendChild(bar);
      item.appendChild(el("span", "entries", busy.entries.toLocaleString("en-US")));
      list.appendChild(item);
    }
  }

  // The article of a line, made if the page was served without it.
  function lineArticle(color) {
    let article = document.querySelector(`article[data-line="${color}"]`);
    if (article) return article;
    article = el("article", `line line-${color}`);
    article.id = `line-${color}`;
    article.dataset.line = color;
    const link = el("a", `pick line-${color}`, title(color));
    link.href = `#line-${color}`;
    link.dataset.pick = color;
    link.appendChild(el("span", "count"));
    document.querySelector("nav.picker").appendChild(link);
    const heading = el("h2", "", `${title(color)} Line `);
    heading.appendChild(el("span", "total"));
    article.appendChild(heading);
    const table = el("table");
    const header = table.createTHead().insertRow();
    header.appendChild(el("th", "name", "Station"));
    header.appendChild(el("th", "dir"));
    header.appendChild(el("th", "dir"));
    header.appendChild(el("th", "spark", "Last hours"));
    header.appendChild(el("th", "entries", "Entries"));
    table.createTBody();
    article.appendChild(table);
    document.querySelector("section.lines").appendChild(article);
    return article;
  }

  function renderLine(line) {
    const article = lineArticle(line.color);
    const headers = article.querySelectorAll("thead th.dir");
    // A narrow column: a terminal's name may wrap after a slash (Harlem/ Lake).
    headers[0].textContent = `to ${line.towards.a || "A"}`.replace(/\//g, "/\u200b");
    headers[1].textContent = `to ${line.towards.b || "B"}`.replace(/\//g, "/\u200b");
    const body = article.querySelector("tbody");
    body.replaceChildren();
    for (const station of line.stations) {
      const row = body.insertRow();
      row.dataset.station = station.station_id;
      row.appendChild(el("td", "name"));
      row.appendChild(el("td", "dir"));
      row.appendChild(el("td", "dir"));
      row.appendChild(el("td", "spark"));
      row.appendChild(el("td", "entries"));
      fillRow(row, line, station);
    }
  }

  function rowOf(line, stationId) {
    return document.querySelector(`article[data-line="${line}"] tr[data-station="${stationId}"]`);
  }

  function refreshDue() {
    for (const line of Object.values(state.lines)) {
      for (const station of line.stations) {
        const row = rowOf(line.color, station.station_id);
        if (!row) continue;
        if (!station.a) platformCell(row.cells[1], line, station, "a");
        if (!station.b) platformCell(row.cells[2], line, station, "b");
      }
    }
  }

  // --- weather, clock, counters -------------------------------------------------------------
  function renderWeather(weather) {
    const box = document.getElementById("weather");
    box.replaceChildren();
    box.dataset.status = weather.status || "";
    if (!weather.status) {
      box.appendChild(el("span", "condition", "no weather yet"));
      return;
    }
    box.appendChild(el("span", "icon"));
    box.appendChild(el("span", "temperature", `${Math.round(weather.temperature)}\u2009°F`));
    box.appendChild(el("span", "condition", weather.status.replace(/_/g, " ")));
  }

  function renderTotals() {
    for (const line of Object.values(state.lines)) {
      const total = line.stations.reduce((sum, s) => sum + (s.entries || 0), 0);
      const box = document.querySelector(`article[data-line="${line.color}"] .total`);
      box.textContent = total ? `${total.toLocaleString("en-US")} entries` : "";
    }
  }

  function renderCounters() {
    const stations = new Set();
    let trains = 0;
    for (const line of Object.values(state.lines)) {
      const here = line.stations.filter((s) => s.a).length + line.stations.filter((s) => s.b).length;
      for (const station of line.stations) stations.add(station.station_id);
      trains += here;
      const count = document.querySelector(`.pick[data-pick="${line.color}"] .count`);
      if (count) count.textContent = here ? String(here) : "";
    }
    document.getElementById("counters").textContent = `${stations.size} stations, ${trains} trains at platforms`;
  }

  // --- the line picker: one line's table at a time, as the CTA's Train Tracker shows them ----
  // Without the script every table shows, and the picker's links jump to them; with it, the
  // picked line (in the address's #line-<color>, so that a link or a reload keeps it) shows alone.
  function pickedInAddress() {
    const match = /^#line-([a-z]+)$/.exec(window.location.hash);
    return match && state.lines[match[1]] ? match[1] : null;
  }

  function showSelected() {
    const colors = Object.keys(state.lines);
    if (!colors.length) return;
    const picked = pickedInAddress() || (state.lines[state.selected] ? state.selected : colors[0]);
    state.selected = picked;
    document.querySelector("section.lines").classList.add("picking");
    for (const article of document.querySelectorAll("article[data-line]")) {
      article.classList.toggle("selected", article.dataset.line === picked);
    }
    for (const link of document.querySelectorAll(".pick[data-pick]")) {
      const on = link.dataset.pick === picked;
      link.classList.toggle("selected", on);
      if (on) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    }
    document.getElementById("map").dataset.selected = picked;
    for (const route of document.querySelectorAll("#map .route")) route.classList.toggle("picked", route.classList.contains(picked));
  }

  function pick(event) {
    const link = event.target.closest(".pick[data-pick]");
    if (!link) return;
    event.preventDefault(); // no jump down the page: the table shows where the last one was
    history.replaceState(null, "", `#line-${link.dataset.pick}`);
    showSelected();
  }

  function tick() {
    const now = new Date(serverNow());
    document.getElementById("clock").textContent = now.toLocaleTimeString("en-US", { hour12: false });
    refreshDue();
  }

  // --- the map ------------------------------------------------------------------------------
  // Map units: an equirectangular projection of the stations, magnified around the Loop (where the
  // most lines meet) as CTA's own maps enlarge downtown, scaled to MAP_WIDTH and moved MARGIN from
  // the edges. A station at distance d from the Loop's centre moves to d + (M - 1) r tanh(d / r),
  // r the Loop's radius: M times as far inside the Loop, pushed out by (M - 1) r beyond it, so
  // stations keep their order along every line and the rest of the city keeps its shape.
  function mapPoints(cityMap, servedBy) {
    const ids = Object.keys(cityMap.stations);
    const lats = ids.map((id) => cityMap.stations[id][0]);
    const cos = Math.cos(((Math.min(...lats) + Math.max(...lats)) / 2) * (Math.PI / 180));
    const raw = new Map(ids.map((id) => [id, [cityMap.stations[id][1] * cos, -cityMap.stations[id][0]]]));
    const loop = ids.filter((id) => (servedBy.get(Number(id)) || []).length >= LOOP_LINES).map((id) => raw.get(id));
    const centre = loop.length ? [0, 1].map((k) => loop.reduce((sum, p) => sum + p[k], 0) / loop.length) : raw.get(ids[0]);
    const radius = Math.max(0, ...loop.map((p) => Math.hypot(p[0] - centre[0], p[1] - centre[1])));
    const lens = (p) => {
      const d = Math.hypot(p[0] - centre[0], p[1] - centre[1]);
      const stretch = d && radius ? (d + (LOOP_ZOOM - 1) * radius * Math.tanh(d / radius)) / d : 1;
      return [centre[0] + (p[0] - centre[0]) * stretch, centre[1] + (p[1] - centre[1]) * stretch];
    };
    const seen = new Map([...raw].map(([id, p]) => [id, lens(p)]));
    const xs = [...seen.values()].map((p) => p[0]);
    const ys = [...seen.values()].map((p) => p[1]);
    const [minX, minY] = [Math.min(...xs), Math.min(...ys)];
    const scale = MAP_WIDTH / (Math.max(...xs) - minX || 1);
    const points = new Map([...seen].map(([id, p]) => [Number(id), [(p[0] - minX) * scale + MARGIN, (p[1] - minY) * scale + MARGIN]]));
    const size = [MAP_WIDTH + 2 * MARGIN, (Math.max(...ys) - minY) * scale + 2 * MARGIN];
    return { points, size, centre: [(centre[0] - minX) * scale + MARGIN, (centre[1] - minY) * scale + MARGIN] };
  }

  // Station id -> the colors of the lines drawn through it, in the map's order of lines.
  function linesAtStations(cityMap) {
    const servedBy = new Map();
    for (const drawn of drawnLines(cityMap)) {
      for (const id of new Set(drawn.paths.flat())) {
        if (!servedBy.has(id)) servedBy.set(id, []);
        servedBy.get(id).push(drawn.color);
      }
    }
    return servedBy;
  }

  // Track between two stations ("id-id", lower first) -> the colors of the lines running on it.
  function linesOnTrack(cityMap) {
    const onTrack = new Map();
    for (const drawn of drawnLines(cityMap)) {
      for (const path of drawn.paths) {
        path.slice(1).forEach((id, i) => {
          const key = trackKey(path[i], id);
          if (!onTrack.has(key)) onTrack.set(key, []);
          if (!onTrack.get(key).includes(drawn.color)) onTrack.get(key).push(drawn.color);
        });
      }
    }
    return onTrack;
  }

  // The lines the stations table has named, each path cut to the stations it has.
  function drawnLines(cityMap) {
    return cityMap.lines
      .filter((drawn) => state.lines[drawn.color] && state.lines[drawn.color].stations.length)
      .map((drawn) => ({ color: drawn.color, paths: drawn.paths.map((path) => path.filter((id) => state.lines[drawn.color].byId.has(id) && cityMap.stations[id])) }));
  }

  function trackKey(a, b) {
    return a < b ? `${a}-${b}` : `${b}-${a}`;
  }

  // The lines beside which a line runs at the i-th station of its path: those sharing the track to
  // the station before or after, in the map's order of lines (one crossing it has no lane there).
  function sharing(onTrack, ids, i, colors) {
    const near = [i - 1, i + 1].filter((j) => j >= 0 && j < ids.length).flatMap((j) => onTrack.get(trackKey(ids[i], ids[j])) || []);
    return colors.filter((color) => near.includes(color));
  }

  // Every 'L' line is drawn from the server's paths (trunk, branches, the Loop); a line the
  // stations table has not named yet is drawn faintly, from the geography alone. Where lines share
  // a track each keeps a lane of its own beside the others, as CTA's maps draw them.
  function drawMap(cityMap) {
    const map = document.getElementById("map");
    map.replaceChildren();
    if (!Object.keys(cityMap.stations).length) return;
    const servedBy = linesAtStations(cityMap);
    const onTrack = linesOnTrack(cityMap);
    const { points, size, centre } = mapPoints(cityMap, servedBy);
    const directions = sharedDirections(onTrack, points);
    map.setAttribute("viewBox", `0 0 ${Math.round(size[0])} ${Math.round(size[1])}`);
    state.mapWidth = size[0];

    const context = svg("g", { class: "context" }, map);
    const routes = svg("g", { class: "lines" }, map);
    const stations = svg("g", { class: "stations" }, map);
    const labels = svg("g", { class: "labels" }, map);
    state.places = new Map();
    const strokes = new Map(); // station id -> unit vectors towards its neighbours on every drawn line
    const terminals = [];
    const tracks = []; // every drawn line's segments, which the terminals' names keep clear of
    for (const drawn of cityMap.lines) {
      const line = state.lines[drawn.color];
      const known = line && line.stations.length ? line.byId : null;
      drawn.paths.forEach((path, index) => {
        const ids = path.filter((id) => points.has(id) && (!known || known.has(id)));
        const base = ids.map((id) => points.get(id));
        ids.forEach((id, i) => noteStrokes(strokes, id, base, i));
        if (!known) {
          svg("polyline", { points: base.map((p) => p.join(",")).join(" "), stroke: drawn.hex }, context);
          return;
        }
        const beside = ids.map((id, i) => sharing(onTrack, ids, i, servedBy.get(id) || []));
        const lanes = ids.map((id, i) => lane(base, i, centre, beside[i].length ? beside[i] : [drawn.color], drawn.color, directions.get(id)));
        const xy = lanes.map((l) => l.at);
        svg("polyline", { class: `route ${drawn.color}`, points: xy.map((p) => p.join(",")).join(" ") }, routes);
        xy.slice(1).forEach((p, i) => tracks.push([xy[i], p]));
        ids.forEach((id, i) => placeStation(stations, line, id, lanes[i], beside[i].length, (servedBy.get(id) || []).length));
        // Terminals: where the trunk starts, and where each stroke ends unless it rounds the Loop or forks.
        const forks = drawn.paths.length > 1 && index === 0;
        const loops = path.indexOf(path[path.length - 1]) !== path.length - 1;
        if (index === 0) terminals.push([line, ids[0], base[0]]);
        if (!forks && !loops) terminals.push([line, ids[ids.length - 1], base[base.length - 1]]);
      });
    }
    const labelled = new Set();
    for (const [line, id, p] of terminals) labelTerminal(labels, labelled, line, id, p, strokes.get(id) || [], servedBy, tracks);
    svg("g", { id: "trains" }, map);
    state.trains.clear();
    state.layout = layoutOf(state.lines);
    placeTrains();
    showSelected();
  }

  function noteStrokes(strokes, id, xy, i) {
    if (!strokes.has(id)) strokes.set(id, []);
    for (const j of [i - 1, i + 1]) {
      if (j < 0 || j >= xy.length) continue;
      const [dx, dy] = [xy[j][0] - xy[i][0], xy[j][1] - xy[i][1]];
      const length = Math.hypot(dx, dy);
      if (length) strokes.get(id).push([dx / length, dy / length]);
    }
  }

  // Station id -> the direction of the track that several lines share there: the mean of the
  // directions of its shared tracks (at a corner of the Loop, the diagonal), so that every line
  // sharing it takes its lane across the same direction.
  function sharedDirections(onTrack, points) {
    const sums = new Map();
    for (const [key, colors] of onTrack) {
      if (colors.length < 2) continue;
      const [a, b] = key.split("-").map(Number);
      const [dx, dy] = [points.get(b)[0] - points.get(a)[0], points.get(b)[1] - points.get(a)[1]];
      const length = Math.hypot(dx, dy) || 1;
      for (const id of [a, b]) {
        const sum = sums.get(id) || [0, 0];
        const sign = sum[0] * dx + sum[1] * dy < 0 ? -1 : 1;
        sums.set(id, [sum[0] + (sign * dx) / length, sum[1] + (sign * dy) / length]);
      }
    }
    return new Map([...sums].map(([id, [x, y]]) => [id, [x / (Math.hypot(x, y) || 1), y / (Math.hypot(x, y) || 1)]]));
  }

  // Where a line runs at a station: its lane among the lines sharing the track there, across it.
  // Lanes are counted from the Loop outwards where the track runs round it, else from the left (or
  // the top), so that lines sharing a track keep their order along it and at its corners. The
  // tangent points the way the line runs (towards its last station).
  function lane(xy, i, centre, colors, color, shared) {
    const before = xy[Math.max(0, i - 1)];
    const after = xy[Math.min(xy.length - 1, i + 1)];
    const [dx, dy] = [after[0] - before[0], after[1] - before[1]];
    const length = Math.hypot(dx, dy) || 1;
    let tangent = [dx / length, dy / length];
    if (shared && colors.length > 1) tangent = shared[0] * dx + shared[1] * dy < 0 ? [-shared[0], -shared[1]] : shared;
    let across = [-tangent[1], tangent[0]];
    const [ox, oy] = [xy[i][0] - centre[0], xy[i][1] - centre[1]];
    const outwards = (across[0] * ox + across[1] * oy) / (Math.hypot(ox, oy) || 1);
    const flip = Math.abs(outwards) > 0.3 ? outwards < 0 : across[0] < -0.01 || (Math.abs(across[0]) <= 0.01 && across[1] < 0);
    if (flip) across = [-across[0], -across[1]];
    const shift = (colors.indexOf(color) - (colors.length - 1) / 2) * LANE;
    return { at: [xy[i][0] + across[0] * shift, xy[i][1] + across[1] * shift], tangent };
  }

  // A station's dot, and where its line's trains stand there. On a track of its own a line's trains
  // keep to either side of it: direction b to the right of the track towards the line's last
  // station, a to the left. Where lanes are side by side there is no room across the track, so
  // the trains keep to their lane, b ahead of the station and a behind, and are drawn smaller; a
  // line that crosses others' lanes at a station (Blue at Clark/Lake) keeps its trains beyond them.
  // A station on a closing stroke is placed once.
  function placeStation(group, line, id, spot, beside, served) {
    const key = `${line.color}:${id}`;
    if (state.places.has(key)) return;
    const [tx, ty] = spot.tangent;
    const shared = served > 1;
    const ahead = beside > 1 ? TRAIN_AHEAD : ((served - 1) * LANE) / 2 + TRAIN_SHARED_R + 1;
    state.places.set(key, { x: spot.at[0], y: spot.at[1], shared, offset: shared ? [tx * ahead, ty * ahead] : [-ty * TRAIN_OFFSET, tx * TRAIN_OFFSET] });
    const dot = svg("circle", { class: "station", cx: spot.at[0], cy: spot.at[1], r: shared ? 2 : 2.6 }, group);
    svg("title", {}, dot).textContent = `${line.byId.get(id).name} (${title(line.color)} Line)`;
  }

  // The lines' colors and their stations in order: the map is drawn again only if these change.
  function layoutOf(lines) {
    return JSON.stringify(Object.values(lines).map((line) => [line.color, line.stations.map((s) => s.station_id)]));
  }

  // Puts every train the tables show at its platform, at once, and takes the others off the map.
  function placeTrains() {
    for (const line of Object.values(state.lines)) {
      for (const station of line.stations) {
        for (const direction of ["a", "b"]) {
          if (station[direction]) moveTrain(line.color, station[direction], station.station_id, direction, false);
        }
      }
    }
    pruneTrains();
  }

  // A train no platform shows any more has gone: another train has arrived where it stood (an
  // arrival of it was lost, or the simulation restarted), or a new server does not know it.
  function pruneTrains() {
    const shown = new Set();
    for (const line of Object.values(state.lines)) {
      for (const station of line.stations) {
        for (const direction of ["a", "b"]) {
          if (station[direction]) shown.add(`${line.color}:${station[direction].train_id}`);
        }
      }
    }
    for (const [key, marker] of state.trains) {
      if (!shown.has(key)) {
        marker.remove();
        state.trains.delete(key);
      }
    }
  }

  // A terminal's name goes on the side of its station where it crosses the fewest lines drawn and
  // keeps farthest from those drawn there (Howard's to the east: Red and Purple run north and
  // south, Yellow west), moved along to stay on the map; a station is named once.
  function labelTerminal(labels, labelled, line, id, p, strokes, servedBy, tracks) {
    if (!p || labelled.has(id)) return;
    labelled.add(id);
    const label = svg("text", { class: `terminal ${line.color}` }, labels);
    label.textContent = line.byId.get(id).name;
    const width = label.getComputedTextLength() || label.textContent.length * LABEL_CHAR;
    const gap = 9 + (((servedBy.get(id) || []).length - 1) * LANE) / 2;
    // [direction from the station, left end of the name, baseline]
    const spots = [
      [[1, 0], p[0] + gap, p[1] + 4],
      [[-1, 0], p[0] - gap - width, p[1] + 4],
      [[0, -1], p[0] - width / 2, p[1] - gap - 1],
      [[0, 1], p[0] - width / 2, p[1] + gap + 9],
      [[0.7, 0.7], p[0] - 4, p[1] + gap + 9],
      [[-0.7, 0.7], p[0] + 4 - width, p[1] + gap + 9],
      [[0.7, -0.7], p[0] - 4, p[1] - gap - 1],
      [[-0.7, -0.7], p[0] + 4 - width, p[1] - gap - 1],
    ].map(([direction, x, y]) => [direction, Math.min(Math.max(x, 2), state.mapWidth - width - 2), y]);
    const score = ([[ux, uy], x, y]) => {
      const box = [x - CLEAR, y - 10 - CLEAR, x + width + CLEAR, y + 3 + CLEAR]; // the glyphs, and half a line's width
      const crossed = tracks.filter((track) => crosses(box, track)).length;
      return crossed * 10 - Math.min(2, ...strokes.map(([sx, sy]) => 1 - (ux * sx + uy * sy)));
    };
    const [, x, y] = spots.reduce((best, next) => (score(next) < score(best) - 1e-6 ? next : best));
    label.setAttribute("x", x.toFixed(1));
    label.setAttribute("y", y.toFixed(1));
  }

  // Whether a segment passes through a box [x0, y0, x1, y1] (Liang-Barsky clipping).
  function crosses([x0, y0, x1, y1], [a, b]) {
    let [t0, t1] = [0, 1];
    const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
    for (const [p, q] of [[-dx, a[0] - x0], [dx, x1 - a[0]], [-dy, a[1] - y0], [dy, y1 - a[1]]]) {
      if (p === 0) {
        if (q < 0) return false;
      } else if (p < 0) {
        t0 = Math.max(t0, q / p);
      } else {
        t1 = Math.min(t1, q / p);
      }
    }
    return t0 <= t1;
  }

  // Places a train's marker at a platform; returns whether a marker already shown moved there.
  function moveTrain(color, train, stationId, direction, animate) {
    const place = state.places && state.places.get(`${color}:${stationId}`);
    if (!place) return false;
    const side = direction === "b" ? 1 : -1;
    const x = place.x + place.offset[0] * side;
    const y = place.y + place.offset[1] * side;
    const key = `${color}:${train.train_id}`;
    let marker = state.trains.get(key);
    if (!marker) {
      marker = svg("g", { class: `train-marker ${color}`, "data-train": train.train_id }, document.getElementById("trains"));
      svg("circle", {}, marker);
      svg("title", {}, marker);
      state.trains.set(key, marker);
      animate = false;
    }
    marker.classList.toggle("still", !animate);
    marker.querySelector("circle").setAttribute("r", place.shared ? TRAIN_SHARED_R : TRAIN_R);
    marker.setAttribute("data-status", train.status);
    marker.querySelector("title").textContent = `${train.train_id} (${train.status.replace(/_/g, " ")})`;
    const transform = `translate(${x.toFixed(1)}px, ${y.toFixed(1)}px)`;
    const moved = animate && marker.style.transform !== transform;
    marker.style.transform = transform;
    return moved;
  }

  // --- the event stream ---------------------------------------------------------------------
  // A snapshot is the whole picture: whatever the page showed before (from this server or an
  // earlier one) is replaced, and the updates that follow count from its sequence number.
  function applySnapshot(snapshot) {
    state.sequence = snapshot.sequence;
    state.clockOffset = snapshot.now - Date.now();
    state.lines = {};
    state.ridership.stations = new Map(Object.entries(snapshot.ridership.stations));
    state.ridership.hours = snapshot.ridership.hours;
    state.ridership.labels = snapshot.ridership.labels;
    state.ridership.busiest = snapshot.ridership.busiest;
    for (const line of snapshot.lines) {
      line.byId = new Map(line.stations.map((s) => [s.station_id, s]));
      state.lines[line.color] = line;
      renderLine(line);
    }
    for (const node of document.querySelectorAll("article[data-line], .pick[data-pick]")) {
      if (!state.lines[node.dataset.line || node.dataset.pick]) node.remove();
    }
    showSelected();
    renderWeather(snapshot.weather);
    renderBusiest();
    renderHours();
    renderCounters();
    renderTotals();
    if (!state.cityMap) loadMap();
    else if (layoutOf(state.lines) !== state.layout) drawMap(state.cityMap);
    else placeTrains();
  }

  // Returns false if the update does not follow the last event applied: the picture is then stale.
  function applyUpdate(update) {
    if (state.sequence === null || update.sequence <= state.sequence) return true; // already in the picture
    if (update.sequence !== state.sequence + 1) return false;
    state.sequence = update.sequence;
    state.clockOffset = update.now - Date.now();
    for (const station of update.stations) {
      const line = state.lines[station.line];
      if (!line || !line.byId.has(station.station_id)) continue;
      Object.assign(line.byId.get(station.station_id), station);
    }
    for (const [color, due] of Object.entries(update.due)) {
      if (state.lines[color]) state.lines[color].due = due;
    }
    for (const station of update.stations) {
      const line = state.lines[station.line];
      const row = line && rowOf(station.line, station.station_id);
      if (row) fillRow(row, line, line.byId.get(station.station_id));
    }
    for (const arrival of update.arrivals) {
      if (moveTrain(arrival.line, arrival, arrival.station_id, arrival.direction, true)) state.moves += 1;
    }
    pruneTrains();
    document.getElementById("map").dataset.moves = state.moves;
    if (update.weather) renderWeather(update.weather);
    if (update.ridership) applyRidership(update.ridership);
    renderCounters();
    renderTotals();
    refreshDue();
    return true;
  }

  function showStream(live) {
    const badge = document.getElementById("live");
    badge.textContent = live ? "live" : "reconnecting";
    badge.className = live ? "live on" : "live off";
    badge.title = live
      ? "Updates arrive as they happen, no reloads"
      : "The server cannot be reached: the page shows what it knew and reconnects by itself";
    for (const name of ["opens", "errors", "reopened", "snapshots"]) badge.dataset[name] = stream[name];
    badge.dataset.sequence = state.sequence === null ? "" : state.sequence;
  }

  function follow() {
    clearTimeout(stream.reopening);
    stream.reopening = null;
    if (stream.source) stream.source.close();
    const source = new EventSource("/events");
    stream.source = source;
    // Events of an EventSource given up on (they may still be queued) change nothing.
    const current = (handler) => (event) => {
      if (stream.source === source) handler(event);
    };
    source.addEventListener(
      "snapshot",
      current((event) => {
        applySnapshot(JSON.parse(event.data));
        stream.snapshots += 1;
        stream.failures = 0;
        showStream(true);
      }),
    );
    source.addEventListener(
      "update",
      current((event) => {
        if (applyUpdate(JSON.parse(event.data))) {
          document.getElementById("live").dataset.sequence = state.sequence;
        } else {
          reopen(); // an update was missed: a new connection starts with the whole picture
          showStream(false);
        }
      }),
    );
    source.addEventListener(
      "open",
      current(() => {
        stream.opens += 1;
        showStream(true);
      }),
    );
    source.addEventListener(
      "error",
      current(() => {
        stream.errors += 1;
        // CONNECTING: the browser retries by itself. CLOSED: it has given up on this EventSource.
        if (source.readyState === EventSource.CLOSED) reopen();
        showStream(false);
      }),
    );
  }

  // A new EventSource after a backoff that doubles from REOPEN_FIRST up to REOPEN_MAX, each delay
  // drawn between half and all of it, so that pages cut off together do not all return at once.
  function reopen() {
    if (stream.source) stream.source.close();
    if (stream.reopening !== null) return;
    const ceiling = Math.min(REOPEN_MAX, REOPEN_FIRST * 2 ** stream.failures);
    stream.failures += 1;
    stream.reopened += 1;
    stream.reopening = setTimeout(follow, ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  // The map's geography; fetched again with the next snapshot if the server could not give it.
  function loadMap() {
    if (state.mapLoading) return;
    state.mapLoading = true;
    fetch("/api/map")
      .then((response) => {
        if (!response.ok) throw new Error(`/api/map: ${response.status}`);
        return response.json();
      })
      .then((cityMap) => {
        state.cityMap = cityMap;
        if (Object.keys(state.lines).length) drawMap(cityMap);
      })
      .catch(() => {})
      .finally(() => {
        state.mapLoading = false;
      });
  }

  document.querySelector("nav.picker").addEventListener("click", pick);
  window.addEventListener("hashchange", showSelected);
  loadMap();
  follow();
  tick();
  setInterval(tick, 1000);
})();
