import BifrostCore
import BifrostGateway
import BifrostNativePlugins
import BifrostTestSupport
import Foundation
import Testing

/// Builds the repository's Rust plugin crates (`PluginSDK/rust` and its users) with cargo.
enum RustPlugins {
    /// `cargo` from `PATH`, or `nil` when it is not installed.
    static let cargo: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map { "\($0)/cargo" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Why the Rust suites are skipped.
    static let absent: Comment = "cargo is not installed (Debian: apt-get install cargo); the Rust SDK's gateway tests need it"

    /// The target directory `scripts/build-plugins` uses too, so builds are shared and incremental.
    static let targetDirectory = CPluginCompiler.repositoryRoot + "/.build/rust"

    /// A cargo failure with its output.
    struct BuildError: Error, CustomStringConvertible {
        var output: String
        var description: String { "cargo build failed:\n\(output)" }
    }

    /// Builds the crate in `crate` (relative to the repository) in release mode, offline, and
    /// copies its `lib<library>.so` to `directory/fileName`: a fresh path, since `dlopen` of a
    /// path already loaded would return the library loaded before.
    @discardableResult
    static func build(_ crate: String, library: String, as fileName: String, in directory: String) async throws -> String {
        let manifest = CPluginCompiler.repositoryRoot + "/" + crate + "/Cargo.toml"
        let (status, output) = try await CPluginCompiler.run(
            cargo!, ["build", "--release", "--offline", "--manifest-path", manifest, "--target-dir", targetDirectory])
        guard status == 0 else { throw BuildError(output: output) }
        let destination = directory + "/" + fileName
        try FileManager.default.copyItem(atPath: targetDirectory + "/release/lib\(library).so", toPath: destination)
        return destination
    }

    /// The Rust example, `ExamplePlugins/model-alias-rust`.
    @discardableResult
    static func modelAlias(as fileName: String, in directory: String) async throws -> String {
        try await build("ExamplePlugins/model-alias-rust", library: "model_alias_rust", as: fileName, in: directory)
    }

    /// The zoo's `Tests/PluginZoo/panicker`, which panics in the hook a message names.
    @discardableResult
    static func panicker(as fileName: String, in directory: String) async throws -> String {
        try await build("Tests/PluginZoo/panicker", library: "panicker", as: fileName, in: directory)
    }
}

@Suite(
    "Rust plugins built with PluginSDK/rust, behind real HTTP on 127.0.0.1",
    .enabled(if: RustPlugins.cargo != nil, RustPlugins.absent))
struct RustPluginTests {
    @Test func theRustModelAliasRewritesTheModelAndCountsItOverHTTP() async throws {
        let directory = try PluginDirectory()
        try directory.write("10-model-alias-rust.json", #"{"aliases": {"rust-fast": "mock/echo"}}"#)
        let file = try await RustPlugins.modelAlias(as: "10-model-alias-rust.so", in: directory.path)
        try await withGateway(GatewayConfiguration(pluginDirectory: directory.path)) { client, _ in
            let response = try await client.postJSON("/v1/chat/completions", chatJSON("Hello", model: "rust-fast"))
            #expect(response.status == 200)
            #expect(response.headers["x-bifrost-model-alias"] == "rust-fast")
            #expect(response.headers["x-bifrost-provider"] == "mock")
            #expect(response.headers["x-bifrost-model"] == "echo")
            #expect(
                try response.json().objectField("choices") == [
                    ["index": 0, "message": ["role": "assistant", "content": "Echo: Hello"], "finish_reason": "stop"]
                ])
            let listing = PluginListing.normalized(try await client.get("/api/plugins").text)
            let plugins = try JSONValue.parse(listing).objectField("plugins")
            #expect(
                plugins == [
                    [
                        "name": "model-alias-rust", "version": "1.0.0", "kind": "native", "abi_version": "1.7",
                        "file": .string(file), "content_hash": .string(try PluginLoader.contentHash(of: file)),
                        "generation": 1, "loaded_at": "<time>", "hooks": ["pre_hook", "post_hook"], "capabilities": [],
                        "failure_policy": "fail_closed", "hook_deadline_ms": 1000, "isolation": "in_process",
                        "state_store": [
                            "policy": "fail_open", "backend": "memory", "backend_up": true, "operations": 0, "fallbacks": 0,
                            "failures": 0,
                        ],
                        "position": 0, "state": "enabled", "scope": .null, "commands": [],
                    ]
                ])
            let metrics = try await client.get("/metrics").text
            #expect(metrics.contains(#"bifrost_model_alias_rewrites_total{alias="rust-fast"} 1"#), "\(metrics)")
        }
    }

    /// The same cases against the C and the Rust build: what each answers must be the same.
    @Test func theCAndRustModelAliasAnswerTheSameCasesAlike() async throws {
        let directory = try PluginDirectory()
        let configuration = #"{"aliases": {"fast": "mock/echo", "openai/gpt-4": "mock/echo"}}"#
        let builds = [
            try await directory.modelAlias("c.so", configuration: configuration),
            try await RustPlugins.modelAlias(as: "rust.so", in: directory.path),
        ]
        let cases: [(model: String, alias: String?)] = [("fast", "fast"), ("openai/gpt-4", "openai/gpt-4"), ("mock/echo", nil)]
        for build in builds {
            // One build per gateway, under the same file name and sidecar.
            let alone = try PluginDirectory()
            try FileManager.default.copyItem(atPath: build, toPath: alone.path + "/10-alias.so")
            try alone.write("10-alias.json", configuration)
            try await withGateway(GatewayConfiguration(pluginDirectory: alone.path)) { client, _ in
                for (model, alias) in cases {
                    let response = try await client.postJSON("/v1/chat/completions", chatJSON("Hi", model: model))
                    #expect(response.status == 200, "\(build) \(model)")
                    #expect(response.headers["x-bifrost-model-alias"] == alias, "\(build) \(model)")
                    #expect(response.headers["x-bifrost-provider"] == "mock", "\(build) \(model)")
                    #expect(response.headers["x-bifrost-model"] == "echo", "\(build) \(model)")
                }
            }
        }
        let refusals = [
            (#"{"aliases": {"fast": "no-slash"}}"#, #"aliases.fast: expected "provider/model", got "no-slash""#),
            (#"{"aliases": {"fast": 1}}"#, #"aliases.fast: expected a "provider/model" string"#),
            (#"{"alias": {}}"#, #"alias: unknown field; expected "aliases""#),
            ("{}", #"aliases: expected an object of alias names to "provider/model" strings"#),
        ]
        for build in builds {
            for (index, (text, message)) in refusals.enumerated() {
                // A fresh path for every load: dlopen returns a library already loaded from the same path.
                let copy = directory.path + "/refused-\(index)-" + URL(fileURLWithPath: build).lastPathComponent
                try FileManager.default.copyItem(atPath: build, toPath: copy)
                #expect {
                    try PluginLoader.load(file: copy, configuration: Array(text.utf8))
                } throws: { error in
                    (error as? PluginLoadError)?.reason == "the plugin refused to load: \(message)"
                }
            }
        }
    }

    @Test func aPanicInAnyHookFaultsOnlyItsRequestAndTheGatewayServesTheNext() async throws {
        let directory = try PluginDirectory()
        try await RustPlugins.panicker(as: "10-panicker.so", in: directory.path)
        try await withGateway(GatewayConfiguration(pluginDirectory: directory.path)) { client, _ in
            let faults = [
                ("panic in pre", "plugin 'panicker' failed in PreHook: panicked: the client asked for a panic in the PreHook"),
                (
                    "panic in post",
                    "plugin 'panicker' failed in PostHook: panicked: index out of bounds: the len is 0 but the index is 13"
                ),
            ]
            for (content, message) in faults {
                let response = try await client.postJSON("/v1/chat/completions", chatJSON(content))
                #expect(response.status == 500)
                #expect(try response.json().objectField("error")?.objectField("message")?.stringValue == message)
                let next = try await client.postJSON("/v1/chat/completions", chatJSON("after \(content)"))
                #expect(next.status == 200)
                #expect(next.text.contains("Echo: after \(content)"))
            }
            let stream = try await client.postJSON(
                "/v1/chat/completions",
                #"{"model":"mock/echo","stream":true,"messages":[{"role":"user","content":"panic in chunk"}]}"#)
            #expect(
                stream.text.contains(
                    "plugin 'panicker' failed in ChunkHook: panicked: the client asked for a panic in the chunk hook"),
                "\(stream.text)")
            #expect(!stream.text.contains("[DONE]"))
            let next = try await client.postJSON(
                "/v1/chat/completions", #"{"model":"mock/echo","stream":true,"messages":[{"role":"user","content":"fine"}]}"#)
            #expect(next.status == 200)
            #expect(next.text.contains("[DONE]"))
        }
    }
}
