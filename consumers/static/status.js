"use strict";
// The status page's script: follows the server's event stream (/events) and redraws only what
// changed: the rows of the stations concerned, the trains on the map (which glide from station
// to station), the weather. Every text goes through textContent, so names are never parsed as
// HTML. Times to the next train count down between updates against the server's clock.
(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const TRAIN_OFFSET = 6; // map units between a line and its trains, a side per direction
  const MARGIN = 60; // map units around the lines, room for the terminals' names
  const state = {
    lines: {}, // color -> {color, towards, stations: [...], byId: Map, due: {}}
    clockOffset: 0, // server clock minus ours, in ms
    places: null, // station id -> [x, y] on the map
    trains: new Map(), // "line:train_id" -> SVG group
    moves: 0,
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

  function fillRow(row, line, station) {
    row.cells[0].textContent = station.name;
    platformCell(row.cells[1], line, station, "a");
    platformCell(row.cells[2], line, station, "b");
    row.cells[3].textContent = station.entries === null ? "" : station.entries.toLocaleString("en-US");
  }

  function renderLine(line) {
    const article = document.querySelector(`article[data-line="${line.color}"]`);
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
    let stations = 0;
    let trains = 0;
    for (const line of Object.values(state.lines)) {
      stations += line.stations.length;
      trains += line.stations.filter((s) => s.a).length + line.stations.filter((s) => s.b).length;
    }
    document.getElementById("counters").textContent = `${stations} stations, ${trains} trains at platforms`;
  }

  function tick() {
    const now = new Date(serverNow());
    document.getElementById("clock").textContent = now.toLocaleTimeString("en-US", { hour12: false });
    refreshDue();
  }

  // --- the map ------------------------------------------------------------------------------
  function project(bounds, lat, lon) {
    const scale = 600 / ((bounds.maxLon - bounds.minLon) * bounds.cos);
    return [(lon - bounds.minLon) * bounds.cos * scale + MARGIN, (bounds.maxLat - lat) * scale + MARGIN];
  }

  function drawMap(cityMap) {
    const map = document.getElementById("map");
    map.replaceChildren();
    const points = [];
    for (const line of Object.values(state.lines)) {
      for (const station of line.stations) {
        const place = cityMap.stations[station.station_id];
        if (place) points.push(place);
      }
    }
    if (!points.length) return;
    const lats = points.map((p) => p[0]);
    const lons = points.map((p) => p[1]);
    const bounds = { minLat: Math.min(...lats), maxLat: Math.max(...lats), minLon: Math.min(...lons), maxLon: Math.max(...lons) };
    bounds.cos = Math.cos(((bounds.minLat + bounds.maxLat) / 2) * (Math.PI / 180));
    const [width, height] = project(bounds, bounds.minLat, bounds.maxLon).map((v) => v + MARGIN);
    map.setAttribute("viewBox", `0 0 ${Math.round(width)} ${Math.round(height)}`);

    const context = svg("g", { class: "context" }, map);
    for (const other of cityMap.other_lines) {
      const path = other.points.map((p) => project(bounds, p[0], p[1]).join(",")).join(" ");
      svg("polyline", { points: path, stroke: other.color }, context);
    }
    state.places = new Map();
    const lines = svg("g", { class: "lines" }, map);
    const stations = svg("g", { class: "stations" }, map);
    const labels = svg("g", { class: "labels" }, map);
    for (const line of Object.values(state.lines)) {
      const placed = line.stations.filter((s) => cityMap.stations[s.station_id]);
      const xy = placed.map((s) => project(bounds, ...cityMap.stations[s.station_id]));
      svg("polyline", { class: `route ${line.color}`, points: xy.map((p) => p.join(",")).join(" ") }, lines);
      placed.forEach((station, i) => {
        const before = xy[Math.max(0, i - 1)];
        const after = xy[Math.min(xy.length - 1, i + 1)];
        const dx = after[0] - before[0];
        const dy = after[1] - before[1];
        const length = Math.hypot(dx, dy) || 1;
        // Direction b runs towards the last station: its trains keep to the right of the track.
        const normal = [-dy / length, dx / length];
        state.places.set(`${line.color}:${station.station_id}`, { x: xy[i][0], y: xy[i][1], normal });
        const dot = svg("circle", { class: "station", cx: xy[i][0], cy: xy[i][1], r: 2.6 }, stations);
        svg("title", {}, dot).textContent = `${station.name} (${title(line.color)} Line)`;
      });
      labelTerminal(labels, line, placed[0], placed[1]);
      labelTerminal(labels, line, placed[placed.length - 1], placed[placed.length - 2]);
    }
    svg("g", { id: "trains" }, map);
    state.trains.clear();
    for (const line of Object.values(state.lines)) {
      for (const station of line.stations) {
        for (const direction of ["a", "b"]) {
          if (station[direction]) moveTrain(line.color, station[direction], station.station_id, direction, false);
        }
      }
    }
  }

  // A terminal's name goes on the side away from the rest of its line.
  function labelTerminal(labels, line, end, next) {
    if (!end || !next) return;
    const p = state.places.get(`${line.color}:${end.station_id}`);
    const q = state.places.get(`${line.color}:${next.station_id}`);
    const [dx, dy] = [q.x - p.x, q.y - p.y];
    let spot = { x: p.x, y: dy > 0 ? p.y - 10 : p.y + 18, "text-anchor": "middle" };
    if (Math.abs(dx) > Math.abs(dy)) spot = { x: dx > 0 ? p.x - 9 : p.x + 9, y: p.y + 4, "text-anchor": dx > 0 ? "end" : "start" };
    const label = svg("text", { ...spot, class: `terminal ${line.color}` }, labels);
    label.textContent = end.name;
  }

  // Places a train's marker at a platform; returns whether a marker already shown moved there.
  function moveTrain(color, train, stationId, direction, animate) {
    const place = state.places && state.places.get(`${color}:${stationId}`);
    if (!place) return false;
    const side = direction === "b" ? 1 : -1;
    const x = place.x + place.normal[0] * TRAIN_OFFSET * side;
    const y = place.y + place.normal[1] * TRAIN_OFFSET * side;
    const key = `${color}:${train.train_id}`;
    let marker = state.trains.get(key);
    if (!marker) {
      marker = svg("g", { class: `train-marker ${color}` }, document.getElementById("trains"));
      svg("circle", { r: 5 }, marker);
      svg("title", {}, marker);
      state.trains.set(key, marker);
      animate = false;
    }
    marker.classList.toggle("still", !animate);
    marker.setAttribute("data-status", train.status);
    marker.querySelector("title").textContent = `${train.train_id} (${train.status.replace(/_/g, " ")})`;
    const transform = `translate(${x.toFixed(1)}px, ${y.toFixed(1)}px)`;
    const moved = animate && marker.style.transform !== transform;
    marker.style.transform = transform;
    return moved;
  }

  // --- the event stream ---------------------------------------------------------------------
  function applySnapshot(snapshot) {
    state.clockOffset = snapshot.now - Date.now();
    state.lines = {};
    for (const line of snapshot.lines) {
      line.byId = new Map(line.stations.map((s) => [s.station_id, s]));
      state.lines[line.color] = line;
      renderLine(line);
    }
    renderWeather(snapshot.weather);
    renderCounters();
    renderTotals();
    if (state.cityMap) drawMap(state.cityMap);
  }

  function applyUpdate(update) {
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
    document.getElementById("map").dataset.moves = state.moves;
    if (update.weather) renderWeather(update.weather);
    renderCounters();
    renderTotals();
    refreshDue();
  }

  function follow() {
    const live = document.getElementById("live");
    const source = new EventSource("/events");
    source.addEventListener("snapshot", (event) => applySnapshot(JSON.parse(event.data)));
    source.addEventListener("update", (event) => applyUpdate(JSON.parse(event.data)));
    source.onopen = () => {
      live.textContent = "live";
      live.className = "live on";
    };
    source.onerror = () => {
      live.textContent = "reconnecting";
      live.className = "live off";
    };
  }

  fetch("/api/map")
    .then((response) => response.json())
    .then((cityMap) => {
      state.cityMap = cityMap;
      if (Object.keys(state.lines).length) drawMap(cityMap);
    });
  follow();
  tick();
  setInterval(tick, 1000);
})();
