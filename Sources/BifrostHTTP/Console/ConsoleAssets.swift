import NIOCore

/// The console served at `/ui`: one page of plain HTML, CSS and JavaScript built into the
/// binary (no CDN, no network). It reads `/api/plugins`, `/api/stats` and `/api/requests`
/// every second and posts the chain's controls and plugin commands (a form per command,
/// generated from its declared signature); every value it shows is set as text, never as markup.
enum ConsoleAssets {
    /// The page, with headers that keep it from being framed or from loading anything else.
    static func page(requestID: String) -> HTTPServerResponse {
        var response = HTTPServerResponse(status: .ok, body: body, requestID: requestID)
        response.headers.replaceOrAdd(name: "content-type", value: "text/html; charset=utf-8")
        response.headers.add(
            name: "content-security-policy",
            value:
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
        )
        response.headers.add(name: "x-frame-options", value: "DENY")
        response.headers.add(name: "cache-control", value: "no-store")
        return response
    }

    private static let body = HTTPServerResponse.allocator.buffer(string: html)

    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Bifrost console</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
        header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; align-items: center; gap: 16px; }
        header h1 { font-size: 18px; margin: 0; }
        header .who { margin-left: auto; font-size: 12px; opacity: .8; }
        main { padding: 16px 20px; display: grid; gap: 16px; }
        section { background: #fff; border: 1px solid #dde1e8; border-radius: 6px; padding: 12px 16px; }
        h2 { font-size: 15px; margin: 0 0 8px; }
        table { border-collapse: collapse; width: 100%; font-size: 13px; }
        th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eef0f4; white-space: nowrap; }
        th { color: #5b6475; font-weight: 600; }
        .state-enabled { color: #137333; font-weight: 600; }
        .state-disabled { color: #b3261e; font-weight: 600; }
        .status-ok { color: #137333; } .status-err { color: #b3261e; }
        button { font: inherit; padding: 2px 10px; border-radius: 4px; border: 1px solid #9aa3b2; background: #fff; cursor: pointer; }
        button:hover { background: #eef0f4; }
        .figures { display: flex; gap: 24px; flex-wrap: wrap; align-items: center; }
        .figure b { font-size: 20px; display: block; }
        #login { max-width: 360px; margin: 60px auto; }
        #login input { width: 100%; box-sizing: border-box; padding: 6px; margin: 8px 0; }
        .hidden { display: none; }
        #message { color: #b3261e; min-height: 1.4em; }
        svg { background: #fafbfc; border: 1px solid #eef0f4; }
        form.command { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; padding: 6px 0; border-bottom: 1px solid #eef0f4; }
        form.command .signature { font-family: ui-monospace, monospace; min-width: 220px; }
        form.command input[type=text], form.command input[type=number] { width: 120px; }
        form.command output { font-family: ui-monospace, monospace; }
        </style>
        </head>
        <body>
        <header><h1>Bifrost console</h1><span id="generation"></span><span class="who" id="who"></span></header>
        <section id="login" class="hidden">
          <h2>Log in</h2>
          <label for="login-token">Admin token</label>
          <input id="login-token" type="password" autocomplete="current-password">
          <button id="login-button">Log in</button>
          <div id="login-message"></div>
        </section>
        <main id="app" class="hidden">
          <div id="message"></div>
          <section>
            <h2>Plugin chain <button id="reload">Reload chain</button></h2>
            <table id="chain"><thead><tr>
              <th>#</th><th>plugin</th><th>version</th><th>state</th><th>scope</th><th>failure policy</th><th>isolation</th>
              <th>calls</th><th>p50 ms</th><th>p99 ms</th><th>faults</th><th></th>
            </tr></thead><tbody></tbody></table>
          </section>
          <section>
            <h2>Commands</h2>
            <div id="commands"></div>
          </section>
          <section>
            <h2>Traffic <span id="window"></span></h2>
            <div class="figures">
              <div class="figure"><b id="rate">0</b>requests/s</div>
              <div class="figure"><b id="errors">0</b>errors</div>
              <div class="figure" id="by-status"></div>
              <svg id="timeline" width="360" height="60" viewBox="0 0 360 60"><polyline id="timeline-requests" fill="none" stroke="#1a73e8" stroke-width="2" points=""/><polyline id="timeline-errors" fill="none" stroke="#b3261e" stroke-width="2" points=""/></svg>
            </div>
          </section>
          <section>
            <h2>Live tail</h2>
            <table id="tail"><thead><tr>
              <th>time</th><th>request id</th><th>route</th><th>model</th><th>provider</th><th>status</th><th>latency ms</th><th>plugins</th>
            </tr></thead><tbody></tbody></table>
          </section>
        </main>
        <script>
        "use strict";
        const state = { csrf: sessionStorage.getItem("bifrost-csrf"), plugins: [], stats: null, timer: null, commandsKey: "" };
        const $ = (id) => document.getElementById(id);
        function cell(row, text, cls) {
          const td = document.createElement("td");
          td.textContent = text === null || text === undefined ? "" : String(text);
          if (cls) td.className = cls;
          row.appendChild(td);
          return td;
        }
        async function api(path, options) {
          const init = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
          if (init.method === "POST") {
            init.headers["content-type"] = "application/json";
            if (state.csrf) init.headers["x-csrf-token"] = state.csrf;
          }
          const response = await fetch(path, init);
          let body = null;
          try { body = await response.json(); } catch (e) { body = null; }
          return { status: response.status, body };
        }
        function showLogin(text) {
          $("app").classList.add("hidden");
          $("login").classList.remove("hidden");
          $("login-message").textContent = text || "";
          if (state.timer) { clearInterval(state.timer); state.timer = null; }
        }
        function showApp(who) {
          $("login").classList.add("hidden");
          $("app").classList.remove("hidden");
          $("who").textContent = who;
          refresh();
          if (!state.timer) state.timer = setInterval(refresh, 1000);
        }
        async function start() {
          const session = await api("/api/session");
          if (session.status === 200) {
            if (session.body.csrf_token) { state.csrf = session.body.csrf_token; sessionStorage.setItem("bifrost-csrf", state.csrf); }
            showApp(session.body.method);
          } else {
            showLogin(session.status === 401 ? "" : (session.body && session.body.error ? session.body.error.message : "HTTP " + session.status));
          }
        }
        async function logIn() {
          const result = await api("/api/login", { method: "POST", body: JSON.stringify({ token: $("login-token").value }) });
          $("login-token").value = "";
          if (result.status !== 200) { showLogin(result.body && result.body.error ? result.body.error.message : "HTTP " + result.status); return; }
          state.csrf = result.body.csrf_token;
          sessionStorage.setItem("bifrost-csrf", state.csrf);
          showApp("cookie session");
        }
        function scopeText(scope) {
          if (!scope) return "everywhere";
          const parts = [];
          for (const key of ["routes", "models", "clients"]) if (scope[key] && scope[key].length) parts.push(key + ": " + scope[key].join(", "));
          return parts.join("; ");
        }
        async function act(path, body) {
          const result = await api(path, { method: "POST", body: JSON.stringify(body || {}) });
          $("message").textContent = result.status === 200 ? "" : (result.body && result.body.error ? result.body.error.message : "HTTP " + result.status);
          if (result.status === 401) { showLogin("session expired"); return; }
          refresh();
        }
        function renderChain() {
          const tbody = $("chain").tBodies[0];
          const stats = {};
          if (state.stats) for (const p of state.stats.plugins) stats[p.name] = p;
          tbody.replaceChildren();
          for (const plugin of state.plugins) {
            const row = document.createElement("tr");
            row.dataset.plugin = plugin.name;
            const s = stats[plugin.name] || {};
            cell(row, plugin.position + 1);
            cell(row, plugin.name, "name");
            cell(row, plugin.version);
            cell(row, plugin.state, "state state-" + plugin.state);
            cell(row, scopeText(plugin.scope), "scope");
            const policyCell = cell(row, "", "policy");
            const select = document.createElement("select");
            for (const option of ["fail_closed", "fail_open"]) {
              const o = document.createElement("option");
              o.value = option; o.textContent = option; o.selected = plugin.failure_policy === option;
              select.appendChild(o);
            }
            select.addEventListener("change", () => act("/api/plugins/" + encodeURIComponent(plugin.name) + "/failure_policy", { failure_policy: select.value }));
            policyCell.appendChild(select);
            cell(row, plugin.isolation || "in_process", "isolation");
            cell(row, s.calls === undefined ? "" : s.calls);
            cell(row, s.p50_ms === null || s.p50_ms === undefined ? "-" : s.p50_ms.toFixed(3));
            cell(row, s.p99_ms === null || s.p99_ms === undefined ? "-" : s.p99_ms.toFixed(3));
            cell(row, s.faults === undefined ? "" : s.faults, "faults");
            const actions = cell(row, "");
            const toggle = document.createElement("button");
            const enabling = plugin.state === "disabled";
            toggle.textContent = enabling ? "Enable" : "Disable";
            toggle.className = "toggle";
            toggle.addEventListener("click", () => act("/api/plugins/" + encodeURIComponent(plugin.name) + (enabling ? "/enable" : "/disable")));
            actions.appendChild(toggle);
            tbody.appendChild(row);
          }
        }
        // One JSON member per argument, typed by the declaration; int64 text goes into the
        // body as written (a JS number would round past 2^53). `null` when a value is unusable.
        function commandBody(form, command) {
          const members = [];
          for (const arg of command.args) {
            const input = form.elements.namedItem(arg.name);
            let value;
            if (arg.type === "bool") value = input.checked ? "true" : "false";
            else if (arg.type === "string") value = JSON.stringify(input.value);
            else if (arg.type === "int64") { if (!/^-?[0-9]+$/.test(input.value.trim())) return null; value = input.value.trim(); }
            else { const number = Number(input.value); if (input.value.trim() === "" || !isFinite(number)) return null; value = JSON.stringify(number); }
            members.push(JSON.stringify(arg.name) + ":" + value);
          }
          return "{" + members.join(",") + "}";
        }
        async function runCommand(form, plugin, command) {
          const output = form.querySelector("output");
          const body = commandBody(form, command);
          if (body === null) { output.textContent = "a number is expected"; return; }
          output.textContent = "…";
          const result = await api("/api/plugins/" + encodeURIComponent(plugin.name) + "/commands/" + encodeURIComponent(command.name), { method: "POST", body });
          if (result.status === 401) { showLogin("session expired"); return; }
          output.textContent = result.status === 200 ? JSON.stringify(result.body.result) : (result.body && result.body.error ? result.body.error.message : "HTTP " + result.status);
          output.className = result.status === 200 ? "status-ok" : "status-err";
        }
        // Rebuilt only when the declarations change, so what an operator typed survives refreshes.
        function renderCommands() {
          const key = JSON.stringify(state.plugins.map((p) => [p.name, p.commands || []]));
          if (key === state.commandsKey) return;
          state.commandsKey = key;
          const container = $("commands");
          container.replaceChildren();
          for (const plugin of state.plugins) {
            for (const command of plugin.commands || []) {
              const form = document.createElement("form");
              form.className = "command";
              form.dataset.plugin = plugin.name;
              form.dataset.command = command.name;
              const signature = document.createElement("span");
              signature.className = "signature";
              signature.textContent = plugin.name + " " + command.name + "(" + command.args.map((a) => a.name + ": " + a.type).join(", ") + ") → " + command.result;
              if (command.description) signature.title = command.description;
              form.appendChild(signature);
              for (const arg of command.args) {
                const label = document.createElement("label");
                label.textContent = arg.name + " ";
                const input = document.createElement("input");
                input.name = arg.name;
                input.type = arg.type === "bool" ? "checkbox" : arg.type === "string" ? "text" : "number";
                if (arg.type === "int64") { input.type = "text"; input.inputMode = "numeric"; input.placeholder = "integer"; }
                if (arg.type === "double") input.step = "any";
                if (arg.description) input.title = arg.description;
                label.appendChild(input);
                form.appendChild(label);
              }
              const run = document.createElement("button");
              run.type = "submit";
              run.textContent = "Run";
              form.appendChild(run);
              form.appendChild(document.createElement("output"));
              form.addEventListener("submit", (event) => { event.preventDefault(); runCommand(form, plugin, command); });
              container.appendChild(form);
            }
          }
          if (!container.children.length) container.textContent = "no plugin of the chain exports commands";
        }
        function renderStats() {
          const stats = state.stats;
          if (!stats) return;
          $("rate").textContent = stats.requests.rate_per_s.toFixed(1);
          $("errors").textContent = stats.requests.errors;
          $("window").textContent = "(last " + Math.round(stats.window_s) + " s)";
          const parts = [];
          for (const [status, count] of Object.entries(stats.requests.by_status)) parts.push(status + ": " + count);
          $("by-status").textContent = parts.length ? "by status: " + parts.join(", ") : "";
          const points = stats.timeline.slice(-60);
          const peak = Math.max(1, ...points.map((p) => p.requests));
          const line = (key) => points.map((p, i) => (i * 360 / Math.max(1, points.length - 1)).toFixed(1) + "," + (58 - 56 * p[key] / peak).toFixed(1)).join(" ");
          $("timeline-requests").setAttribute("points", line("requests"));
          $("timeline-errors").setAttribute("points", line("errors"));
        }
        function renderTail(requests) {
          const tbody = $("tail").tBodies[0];
          tbody.replaceChildren();
          for (const entry of requests.slice(-50).reverse()) {
            const row = document.createElement("tr");
            cell(row, entry.at.slice(11, 19));
            cell(row, entry.id, "request-id");
            cell(row, entry.route);
            cell(row, entry.model);
            cell(row, entry.provider);
            cell(row, entry.status, entry.status < 400 ? "status-ok" : "status-err");
            cell(row, entry.latency_ms.toFixed(2));
            cell(row, entry.plugins.join(", "), "plugins");
            tbody.appendChild(row);
          }
        }
        async function refresh() {
          const [plugins, stats, requests] = await Promise.all([api("/api/plugins"), api("/api/stats"), api("/api/requests")]);
          if (plugins.status === 401) { showLogin("session expired"); return; }
          if (plugins.status === 200) { state.plugins = plugins.body.plugins; $("generation").textContent = "chain generation " + plugins.body.generation; }
          if (stats.status === 200) state.stats = stats.body;
          renderChain();
          renderCommands();
          renderStats();
          if (requests.status === 200) renderTail(requests.body.requests);
        }
        $("login-button").addEventListener("click", logIn);
        $("login-token").addEventListener("keydown", (e) => { if (e.key === "Enter") logIn(); });
        $("reload").addEventListener("click", () => act("/api/plugins/reload"));
        start();
        </script>
        </body>
        </html>
        """#
}
