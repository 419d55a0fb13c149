import BifrostCore
import BifrostGateway
import BifrostLibrary
import BifrostNativePlugins
import BifrostPluginIsolation
import BifrostTestSupport
import Foundation
import Testing

/// Two builds of the `stamp` plugin (`versioned.c`), and a plugin directory serving one of them.
struct StampVersions {
    let directory: PluginDirectory
    let installed: String
    let builds: [String: String]

    /// Builds versions 1 and 2, version 1 with `firstDefines` too (a broken `export_state`), and installs 1.
    init(firstDefines: [String: String] = [:]) async throws {
        directory = try PluginDirectory()
        let sources = try CPluginCompiler.temporaryDirectory("stamp-builds")
        var builds: [String: String] = [:]
        let buildID = "\"\(UInt64.random(in: 0...UInt64.max))\""
        for version in ["1", "2"] {
            builds[version] = try await CPluginCompiler.compile(
                zoo: "versioned.c", as: "stamp-\(version).so", in: sources,
                defines: ["VERSION": "\"\(version)\"", "BUILD_ID": buildID].merging(version == "1" ? firstDefines : [:]) { $1 })
        }
        self.builds = builds
        installed = directory.path + "/10-stamp.so"
        try install("1", atomically: true)
    }

    /// Puts a build in the plugin directory: renamed into place, or written over the file in place (as `cp` does).
    func install(_ version: String, atomically: Bool) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: builds[version]!))
        if atomically {
            try bytes.write(to: URL(fileURLWithPath: installed), options: .atomic)
        } else {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: installed))
            try handle.truncate(atOffset: 0)
            try handle.write(contentsOf: bytes)
            try handle.close()
        }
    }

    /// The generation an answer names in `x-bifrost-chain-generation`, or `nil` unless it names exactly one.
    static func generation(of headers: [String: String]) -> UInt64? {
        headers[ChainGenerationTag.headerName].flatMap { UInt64($0) }
    }

    /// The version the load test's generation `generation` serves: it starts with version 1
    /// and its reloads alternate 2, 1, 2, …, so even generations serve 2.
    static func version(servedBy generation: UInt64) -> String { generation % 2 == 0 ? "2" : "1" }

    /// The counters of one build's loaded library.
    func probe(_ version: String) throws -> CounterProbe {
        try CounterProbe(file: installed, contentHash: try PluginLoader.contentHash(of: builds[version]!))
    }

    var configuration: GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.pluginDirectory = directory.path
        return configuration
    }
}

@Suite("plugin reloads: build first, then swap, with no failed request", .timeLimit(.minutes(2)))
struct PluginReloadTests {
    @Test(
        "20 reloads under load between two versions: no failed request, one version per answer, destroy once per retired instance"
    )
    func reloadsUnderLoad() async throws {
        let stamp = try await StampVersions()
        try await withGateway(stamp.configuration) { client, gateway in
            let stop = LockedValue(false)
            let failures = LockedValue<[String]>([])
            let versions = LockedValue<[String: Int]>([:])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        let started = ContinuousClock.now
                        var round = 0
                        while !stop.withLock({ $0 }), ContinuousClock.now - started < .seconds(60) {
                            round += 1
                            if (worker + round) % 3 == 0 {
                                let body = Array(
                                    #"{"model":"mock/echo","stream":true,"messages":[{"role":"user","content":"a b c"}]}"#.utf8)
                                let (generation, events) = try await client.withEventStream(
                                    "POST", "/v1/chat/completions", body: body
                                ) { (StampVersions.generation(of: $0.headers), try await $0.collect()) }
                                if events.last?.data != "[DONE]" {
                                    failures.withLock { $0.append("stream: \(events.last?.data ?? "none")") }
                                }
                                if generation == nil {
                                    failures.withLock { $0.append("a stream's head names no one generation") }
                                }
                            } else {
                                let response = try await client.postJSON("/v1/chat/completions", chatJSON())
                                let version = response.headers["x-plugin-version"] ?? "none"
                                if response.status != 200 {
                                    failures.withLock { $0.append("\(response.status): \(response.text)") }
                                }
                                versions.withLock { $0[version, default: 0] += 1 }
                                // The generation an answer names decides the version that stamped it.
                                if let generation = StampVersions.generation(of: response.headers) {
                                    if StampVersions.version(servedBy: generation) != version {
                                        failures.withLock {
                                            $0.append("generation \(generation) answered with version \(version)")
                                        }
                                    }
                                } else {
                                    failures.withLock { $0.append("an answer names no one generation: \(response.headers)") }
                                }
                            }
                        }
                    }
                }
                for reload in 0..<20 {
                    try await Task.sleep(for: .milliseconds(40))
                    try stamp.install(reload % 2 == 0 ? "2" : "1", atomically: reload % 4 < 2)
                    let status = gateway.reloadPlugins()
                    #expect(status.succeeded, "\(status.message)")
                    #expect(status.generation == UInt64(reload + 2))
                    let served = try await client.postJSON("/v1/chat/completions", chatJSON())
                    #expect(served.headers["x-plugin-version"] == (reload % 2 == 0 ? "2" : "1"), "the new chain serves at once")
                    #expect(StampVersions.generation(of: served.headers) == UInt64(reload + 2))
                }
                try await Task.sleep(for: .milliseconds(40))
                stop.withLock { $0 = true }
                try await group.waitForAll()
            }
            #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
            let seen = versions.withLock { $0 }
            #expect(Set(seen.keys).isSubset(of: ["1", "2"]), "every answer carries exactly one version: \(seen)")
            // 21 instances: generation 1 and one per reload; all but the current one retired.
            try await Polling.eventually {
                ((try? stamp.probe("1").destroyCalls()) ?? 0) + ((try? stamp.probe("2").destroyCalls()) ?? 0) == 20
            }
            #expect(try stamp.probe("1").destroyCalls() == 10)
            #expect(try stamp.probe("2").destroyCalls() == 10)
            #expect(gateway.bifrost.chainGeneration == 21)
        }
        #expect(try stamp.probe("1").destroyCalls() == 11, "the last instance is destroyed at shutdown, once")
    }

    @Test("a reload whose new plugin is refused keeps the old chain serving and says why")
    func refusedReload() async throws {
        let stamp = try await StampVersions()
        try await withGateway(stamp.configuration) { client, gateway in
            _ = try await CPluginCompiler.compile(
                zoo: "broken.c", as: "10-stamp.so", in: stamp.directory.path, defines: ["BROKEN": "2"])
            let status = gateway.reloadPlugins()
            #expect(!status.succeeded)
            #expect(status.message.contains("option 'database_url' is required"), "\(status.message)")
            #expect(gateway.bifrost.chainGeneration == 1)
            let response = try await client.postJSON("/v1/chat/completions", chatJSON())
            #expect(response.status == 200)
            #expect(response.headers["x-plugin-version"] == "1")
            let plugins = try await client.get("/api/plugins").text
            #expect(plugins.contains(#""succeeded":false"#), "\(plugins)")
            #expect(gateway.bifrost.metrics.render().contains(#"bifrost_plugin_reloads_total{result="refused"} 1"#))
            #expect(try stamp.probe("1").destroyCalls() == 0, "the running instance is untouched")
        }
    }

    @Test("POST /api/plugins/reload swaps a changed plugin in and keeps an unchanged one's instance")
    func reloadThroughTheAPI() async throws {
        let stamp = try await StampVersions()
        try await stamp.directory.tracer("20-tracer.so", name: "steady")
        try await withGateway(stamp.configuration) { client, gateway in
            let unchanged = try await client.send("POST", "/api/plugins/reload")
            #expect(unchanged.status == 200, "\(unchanged.text)")
            #expect(unchanged.text.contains(#""generation":2"#))
            #expect(unchanged.text.contains("2 kept, 0 loaded, 0 retired"), "\(unchanged.text)")
            try stamp.install("2", atomically: true)
            let changed = try await client.send("POST", "/api/plugins/reload")
            #expect(changed.text.contains("1 kept, 1 loaded, 1 retired"), "\(changed.text)")
            #expect(try await client.postJSON("/v1/chat/completions", chatJSON()).headers["x-plugin-version"] == "2")
            let plugins = try await client.get("/api/plugins")
            let listed = try plugins.json().objectField("plugins")?.arrayValue ?? []
            #expect(plugins.text.contains(#""generation":3"#))
            let steady = try #require(listed.first { $0.objectField("name")?.stringValue == "steady" })
            #expect(steady.objectField("generation")?.intValue == 1, "the unchanged plugin kept its instance")
            let hash = try PluginLoader.contentHash(of: stamp.builds["2"]!)
            #expect(
                listed.first { $0.objectField("name")?.stringValue == "stamp" }?.objectField("content_hash")?.stringValue == hash)
        }
    }

    @Test("with the watcher on, writing over a loaded file in place serves the new version within a second, without a crash")
    func watcherPicksUpACopy() async throws {
        let stamp = try await StampVersions()
        try await withGateway(stamp.configuration) { client, gateway in
            try gateway.watchPluginDirectory(debounce: .milliseconds(200))
            #expect(try await client.postJSON("/v1/chat/completions", chatJSON()).headers["x-plugin-version"] == "1")
            try stamp.install("2", atomically: false)
            let written = ContinuousClock.now
            var version = "1"
            while version != "2", ContinuousClock.now - written < .seconds(10) {
                let response = try await client.postJSON("/v1/chat/completions", chatJSON())
                #expect(response.status == 200)
                version = response.headers["x-plugin-version"] ?? "none"
                if version != "2" { try await Task.sleep(for: .milliseconds(20)) }
            }
            let live = ContinuousClock.now - written
            #expect(version == "2")
            // Under the thread sanitizer, hashing and opening the file take several times longer.
            let bound: Duration = ProcessInfo.processInfo.environment["BIFROST_SANITIZER"] == "thread" ? .seconds(5) : .seconds(1)
            #expect(live < bound, "the new version served after \(live)")
        }
    }

    @Test(
        "the count version 1 of a counting plugin kept is handed to version 2 at the reload, intact (in process and isolated)",
        arguments: [false, true])
    func stateHandedToTheNewVersion(isolated: Bool) async throws {
        let stamp = try await StampVersions()
        var configuration = stamp.configuration
        if isolated {
            configuration.pluginDefaults.isolation = .process(IsolationSettings(workerExecutable: productsDirectory + "/bifrost"))
        }
        try await withGateway(configuration) { client, gateway in
            for expected in 1...5 {
                let response = try await client.postJSON("/v1/chat/completions", chatJSON())
                #expect(response.headers["x-plugin-served"] == "\(expected)")
            }
            try stamp.install("2", atomically: true)
            let status = try gateway.bifrost.reloadPlugins()
            #expect(status.succeeded, "\(status.message)")
            for expected in 6...8 {
                let response = try await client.postJSON("/v1/chat/completions", chatJSON())
                #expect(response.headers["x-plugin-version"] == "2")
                #expect(response.headers["x-plugin-served"] == "\(expected)", "version 2 counts on from version 1's 5")
            }
            try stamp.install("1", atomically: true)
            try gateway.bifrost.reloadPlugins()
            let back = try await client.postJSON("/v1/chat/completions", chatJSON())
            #expect(back.headers["x-plugin-version"] == "1")
            #expect(back.headers["x-plugin-served"] == "9", "and back again")
        }
    }

    @Test(
        "an export_state that fails or hands on more than 64 MiB refuses the reload and keeps the old instance serving",
        arguments: [
            ("EXPORT_REFUSE", "plugin stamp did not hand its state on: export_state returned status 5"),
            ("EXPORT_HUGE", "export_state wrote more than 67108864 bytes (BIFROST_HANDED_STATE_MAX_BYTES, 64 MiB)"),
        ])
    func failedExportRefusesTheReload(define: String, reason: String) async throws {
        let stamp = try await StampVersions(firstDefines: [define: "1"])
        try await withGateway(stamp.configuration) { client, gateway in
            #expect(try await client.postJSON("/v1/chat/completions", chatJSON()).headers["x-plugin-served"] == "1")
            try stamp.install("2", atomically: true)
            let reload = try await client.send("POST", "/api/plugins/reload")
            #expect(reload.status == 422)
            #expect(reload.text.contains(reason), "\(reload.text)")
            #expect(gateway.bifrost.chainGeneration == 1)
            let response = try await client.postJSON("/v1/chat/completions", chatJSON())
            #expect(response.headers["x-plugin-version"] == "1")
            #expect(response.headers["x-plugin-served"] == "2", "the old instance serves on, its state untouched")
            #expect(try stamp.probe("1").destroyCalls() == 0)
            #expect((try? stamp.probe("2")) == nil, "version 2 was never loaded: the export comes first")
        }
    }

    @Test("every answer names the chain generation it ran on: whole, streamed and failed")
    func answersNameTheirGeneration() async throws {
        let stamp = try await StampVersions()
        try await withGateway(stamp.configuration) { client, gateway in
            for generation in ["1", "2"] {
                let whole = try await client.postJSON("/v1/chat/completions", chatJSON())
                #expect(whole.headers[ChainGenerationTag.headerName] == generation)
                let failed = try await client.postJSON("/v1/chat/completions", chatJSON(model: "nowhere/model"))
                #expect(failed.status >= 400)
                #expect(failed.headers[ChainGenerationTag.headerName] == generation, "\(failed.status) \(failed.text)")
                let body = Array(#"{"model":"mock/echo","stream":true,"messages":[{"role":"user","content":"a"}]}"#.utf8)
                let head = try await client.withEventStream("POST", "/v1/chat/completions", body: body) { stream in
                    _ = try await stream.collect()
                    return stream.headers
                }
                #expect(head[ChainGenerationTag.headerName] == generation)
                try stamp.install("2", atomically: true)
                try gateway.bifrost.reloadPlugins()
            }
        }
    }
}
