import BifrostCore
import BifrostLibrary
import BifrostTestSupport
import Foundation
import Testing

@testable import BifrostHTTP

@Suite("Console in a real headless browser")
struct ConsoleBrowserTests {
    /// The DevTools driver beside this file.
    static let driver = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Console/drive_console.py"
    ).path

    @Test(
        "log in, see the chain with state, scope, policy and isolation, disable a plugin, watch the live tail fill, run a command"
    )
    func drive() async throws {
        let chromium = "/usr/bin/chromium"
        try #require(FileManager.default.isExecutableFile(atPath: chromium), "Chromium is missing: .ci/run installs it")
        let counter = CountingPlugin(name: "counter")
        let tagger = CountingPlugin(name: "tagger")
        var scoped = PluginSpec.plugin(tagger)
        scoped.scope = PluginScope(models: ["echo"])
        // The zoo's commander (Tests/PluginZoo/commander.c): its `describe` takes one argument of each type.
        let commander = PluginSpec.native(try await CPluginCompiler.compile(zoo: "commander.c", as: "commander.so"))
        let plugins: [PluginSpec] = [
            .plugin(counter), scoped, .plugin(FaultingPlugin(name: "faulty"), failurePolicy: .failOpen), commander,
        ]
        try await withAdminServer(plugins) { client, bifrost in
            let secretPrompt = "the-secret-prompt-\(UInt32.random(in: 0...UInt32.max))"
            let clientKey = "sk-console-client-key"
            let body = #"{"model":"mock/echo","messages":[{"role":"user","content":"\#(secretPrompt)"}]}"#
            // Traffic while the browser looks, bounded in time.
            let traffic = Task {
                let started = ContinuousClock.now
                var sent = 0
                while !Task.isCancelled, ContinuousClock.now - started < .seconds(60) {
                    _ = try? await client.postJSON(
                        "/v1/chat/completions", body, headers: ["Authorization": "Bearer \(clientKey)"])
                    sent += 1
                    try? await Task.sleep(for: .milliseconds(50))
                }
                return sent
            }
            defer { traffic.cancel() }
            let screenshots = try CPluginCompiler.temporaryDirectory("bifrost-console")
            let (status, output) = try await CPluginCompiler.run(
                "/usr/bin/env",
                [
                    "python3", Self.driver, "--port", String(client.port), "--token", adminToken, "--disable", "counter",
                    "--screenshots", screenshots, "--chromium", chromium, "--command", "commander/describe",
                    "--command-values", #"{"i": "-7", "d": "0.5", "b": true, "s": "from the console"}"#,
                ])
            traffic.cancel()
            _ = await traffic.value
            let line = output.split(separator: "\n").last.map(String.init) ?? ""
            #expect(status == 0, "\(output)")
            let report = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            #expect(report["error"] == nil)
            #expect(report["before_login"] as? Bool == true)
            #expect(report["who"] as? String == "cookie session")
            #expect(report["cookie_visible_to_script"] as? String == "", "the session cookie must be HttpOnly")

            let chain = report["chain"] as? [[String]] ?? []
            #expect(chain.map { $0.count > 1 ? $0[1] : "" } == ["counter", "tagger", "faulty", "commander"])
            #expect(chain.first?[3] == "enabled")
            #expect(chain.count == 4 && chain[1][4] == "models: echo")
            #expect(chain.count == 4 && chain[2][5] == "fail_closedfail_open")
            #expect(chain.allSatisfy { $0.count > 6 && $0[6] == "in_process" })

            let after = report["chain_after_disable"] as? [[String]] ?? []
            #expect(after.first?[3] == "disabled")
            #expect(bifrost.loadedPlugins.first?.isEnabled == false)

            let tail = report["tail"] as? [[String]] ?? []
            #expect(tail.count >= 5)
            #expect(tail.allSatisfy { $0.count == 8 && $0[2] == "/v1/chat/completions" && $0[3] == "echo" && $0[5] == "200" })
            // The faulting plugin is skipped (fail-open), so only the scoped one acted once counter was off.
            #expect(tail.contains { $0[7] == "tagger, commander" }, "a request after the disable shows only the plugins that ran")
            #expect(tail.contains { $0[7] == "counter, tagger, commander" }, "\(tail)")
            #expect(
                report["command_signature"] as? String == "commander describe(i: int64, d: double, b: bool, s: string) → string")
            #expect(report["command_result"] as? String == #""i=-7 d=0.5 b=1 s=from the console""#)

            let page = report["page_text"] as? String ?? ""
            #expect(!page.contains(secretPrompt))
            #expect(!page.contains(clientKey))
            #expect(!page.contains(adminToken))
            #expect(FileManager.default.fileExists(atPath: screenshots + "/console.png"))
            if let keep = ProcessInfo.processInfo.environment["BIFROST_CONSOLE_SCREENSHOT"] {
                try? FileManager.default.removeItem(atPath: keep)
                try FileManager.default.copyItem(atPath: screenshots + "/console.png", toPath: keep)
            }
        }
    }
}
