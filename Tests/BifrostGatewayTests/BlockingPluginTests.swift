import BifrostCore
import BifrostGateway
import BifrostTestSupport
import Foundation
import Testing

@Suite("a plugin whose hook blocks its thread", .timeLimit(.minutes(1)))
struct BlockingPluginTests {
    @Test("marked blocking, it delays only its own requests (/health answers at once), and each overrun is counted")
    func blockingPluginKeepsTheLoopsFree() async throws {
        let directory = try PluginDirectory()
        let file = try await CPluginCompiler.compile(
            zoo: "sleeper.c", as: "10-sleeper.so", in: directory.path, defines: ["SLEEP_MS": "1500"])
        var configuration = GatewayConfiguration()
        configuration.plugins = [
            GatewayConfiguration.PluginEntry(file: file)
        ]
        configuration.plugins[0].blocking = true
        configuration.plugins[0].hookDeadline = .milliseconds(100)
        configuration.pluginDirectory = nil
        try await withGateway(configuration) { client, gateway in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await client.postJSON("/v1/chat/completions", chatJSON()).status }
                }
                try await Task.sleep(for: .milliseconds(300))
                for _ in 0..<10 {
                    let asked = ContinuousClock.now
                    #expect(try await client.get("/health").status == 200)
                    #expect(ContinuousClock.now - asked < .milliseconds(500), "/health waited for a blocked hook")
                }
                for try await status in group { #expect(status == 200) }
            }
            let metrics = gateway.bifrost.metrics.render()
            #expect(metrics.contains(#"bifrost_plugin_hook_overruns_total{plugin="sleeper",hook="pre_hook"} 4"#), "\(metrics)")
        }
    }
}
