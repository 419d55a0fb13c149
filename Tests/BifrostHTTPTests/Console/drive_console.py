#!/usr/bin/env python3
"""Drives the gateway's console (/ui) in headless Chromium through the DevTools protocol
over a pipe (--remote-debugging-pipe: NUL-terminated JSON on fds 3 and 4), so no WebSocket
library is needed. Logs in, reads the chain, disables a plugin with its button, waits for the
live tail to fill, saves screenshots and prints what the page showed as one JSON object.
Every wait is bounded; the browser is stopped by its PID."""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, executable, profile):
        to_browser_read, self.to_browser = os.pipe()
        self.from_browser, from_browser_write = os.pipe()
        # The child reads commands on fd 3 and writes answers on fd 4; copies first, so the
        # two moves cannot overwrite each other. Python closes other descriptors after this.
        def arrange():
            read, write = os.dup(to_browser_read), os.dup(from_browser_write)
            os.dup2(read, 3)
            os.dup2(write, 4)
        self.process = subprocess.Popen(
            [executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--remote-debugging-pipe",
             "--user-data-dir=" + profile, "--window-size=1400,1000", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=arrange)
        os.close(to_browser_read)
        os.close(from_browser_write)
        self.buffer = b""
        self.next_id = 0
        self.session = None

    def send(self, method, params=None, session=True, timeout=15):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                answer = json.loads(raw)
                if answer.get("id") == self.next_id:
                    if "error" in answer:
                        raise RuntimeError(f"{method}: {answer['error']}")
                    return answer.get("result", {})
            import select
            ready, _, _ = select.select([self.from_browser], [], [], 0.5)
            if ready:
                chunk = os.read(self.from_browser, 1 << 16)
                if not chunk:
                    raise RuntimeError("the browser closed its pipe")
                self.buffer += chunk
        raise TimeoutError(f"{method}: no answer within {timeout} s")

    def open(self, url):
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, session=False)
        self.session = attached["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Page.navigate", {"url": url})

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, what, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.evaluate(f"!!({expression})"):
                    return
            except RuntimeError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"the page never showed {what} within {timeout} s")

    def screenshot(self, path):
        # Scaled down: the README shows one, and the repository keeps it small.
        clip = {"x": 0, "y": 0, "width": 1400, "height": 760, "scale": 0.6}
        data = self.send("Page.captureScreenshot", {"format": "png", "clip": clip})["data"]
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))

    def stop(self):
        try:
            os.close(self.to_browser)
        except OSError:
            pass
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


ROWS = "Array.from(document.querySelectorAll('#chain tbody tr')).map(r => Array.from(r.cells).map(c => c.textContent))"
TAIL = "Array.from(document.querySelectorAll('#tail tbody tr')).map(r => Array.from(r.cells).map(c => c.textContent))"


def run_command(browser, target, values, report):
    """Fills the command's generated form with `values`, runs it and reports its signature and result."""
    plugin, command = target.split("/", 1)
    form = f"document.querySelector('form.command[data-plugin={json.dumps(plugin)}][data-command={json.dumps(command)}]')"
    browser.wait_for(form, "the command's form")
    report["command_signature"] = browser.evaluate(f"{form}.querySelector('.signature').textContent")
    for name, value in values.items():
        field = f"{form}.elements.namedItem({json.dumps(name)})"
        if isinstance(value, bool):
            browser.evaluate(f"{field}.checked = {json.dumps(value)}")
        else:
            browser.evaluate(f"{field}.value = {json.dumps(str(value))}")
    browser.evaluate(f"{form}.querySelector('button[type=submit]').click()")
    output = f"{form}.querySelector('output').textContent"
    browser.wait_for(f"{output} && {output} !== '…'", "the command's result")
    report["command_result"] = browser.evaluate(output)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--disable", required=True)
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--command", help="PLUGIN/COMMAND to run through its console form")
    parser.add_argument("--command-values", default="{}", help="JSON object: argument name to the value to enter")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    arguments = parser.parse_args()
    profile = tempfile.mkdtemp(prefix="bifrost-console-")
    browser = Browser(arguments.chromium, profile)
    report = {}
    try:
        browser.open(f"http://127.0.0.1:{arguments.port}/ui")
        browser.wait_for("!document.getElementById('login').classList.contains('hidden')", "the login form")
        report["before_login"] = browser.evaluate("document.getElementById('app').classList.contains('hidden')")
        browser.evaluate(f"document.getElementById('login-token').value = {json.dumps(arguments.token)}")
        browser.evaluate("document.getElementById('login-button').click()")
        browser.wait_for(f"document.querySelector('#chain tbody tr[data-plugin={json.dumps(arguments.disable)}]')", "the chain")
        report["who"] = browser.evaluate("document.getElementById('who').textContent")
        report["cookie_visible_to_script"] = browser.evaluate("document.cookie")
        report["chain"] = browser.evaluate(ROWS)
        browser.screenshot(os.path.join(arguments.screenshots, "console-chain.png"))
        row = f"document.querySelector('#chain tbody tr[data-plugin={json.dumps(arguments.disable)}]')"
        browser.evaluate(f"{row}.querySelector('button.toggle').click()")
        browser.wait_for(f"{row} && {row}.querySelector('.state').textContent === 'disabled'", "the plugin disabled")
        report["chain_after_disable"] = browser.evaluate(ROWS)
        browser.wait_for("document.querySelectorAll('#tail tbody tr').length >= 5", "five requests in the live tail")
        browser.wait_for("Number(document.getElementById('rate').textContent) > 0", "a request rate")
        after_disable = f"Array.from(document.querySelectorAll('#tail tbody tr .plugins')).some(c => !c.textContent.includes({json.dumps(arguments.disable)}))"
        browser.wait_for(after_disable, "a request after the disable in the live tail")
        report["tail"] = browser.evaluate(TAIL)
        if arguments.command:
            run_command(browser, arguments.command, json.loads(arguments.command_values), report)
        report["rate"] = browser.evaluate("document.getElementById('rate').textContent")
        report["by_status"] = browser.evaluate("document.getElementById('by-status').textContent")
        report["page_text"] = browser.evaluate("document.body.innerText")
        browser.screenshot(os.path.join(arguments.screenshots, "console.png"))
    except Exception as error:  # reported to the Swift test, which fails on it
        report["error"] = f"{type(error).__name__}: {error}"
        try:
            report["page_text"] = browser.evaluate("document.body.innerText")
        except Exception:
            pass
    finally:
        browser.stop()
        shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps(report))
    return 0 if "error" not in report else 1


if __name__ == "__main__":
    sys.exit(main())
