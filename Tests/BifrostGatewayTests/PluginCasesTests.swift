import BifrostTestSupport
import Foundation
import Testing

/// `bifrost plugins test`: one case file, every build of a plugin, in process and isolated.
@Suite("bifrost plugins test: a plugin's hooks against a case file", .timeLimit(.minutes(3)))
struct PluginCasesTests {
    static let modelAliasCases = CPluginCompiler.repositoryRoot + "/ExamplePlugins/model-alias/cases.json"

    /// The model-alias builds that exist here: C always, Swift unless sanitized (a sanitized
    /// `bifrost` does not export the sanitizer's runtime to a sanitized Swift plugin), Rust when
    /// cargo is installed.
    static func modelAliasBuilds(in directory: PluginDirectory) async throws -> [String] {
        var builds = [
            try await CPluginCompiler.compile(
                file: CPluginCompiler.repositoryRoot + "/ExamplePlugins/model-alias/model_alias.c", as: "alias-c.so",
                in: directory.path)
        ]
        if !sanitized {
            let swift = directory.path + "/alias-swift.so"
            try FileManager.default.copyItem(atPath: productsDirectory + "/libModelAliasPlugin.so", toPath: swift)
            builds.append(swift)
        }
        if RustPlugins.cargo != nil { builds.append(try await RustPlugins.modelAlias(as: "alias-rust.so", in: directory.path)) }
        return builds
    }

    @Test("the model-alias case file passes for the C, Swift and Rust builds, in process and isolated", arguments: [false, true])
    func everyBuildPasses(isolated: Bool) async throws {
        let directory = try PluginDirectory()
        for build in try await Self.modelAliasBuilds(in: directory) {
            var arguments = ["plugins", "test", build, "--cases", Self.modelAliasCases, "--log-level", "warning"]
            if isolated { arguments.append("--isolated") }
            let (status, output) = try await runBifrost(arguments)
            #expect(status == 0, "\(build): \(output)")
            #expect(output.contains("6 case(s): 6 passed, 0 failed"), "\(build): \(output)")
            #expect(output.contains("✔ an alias is rewritten before dispatch and named in the answer"), "\(output)")
        }
    }

    @Test("a case that does not hold fails the run, saying what was expected and what came")
    func aFailingCaseIsReported() async throws {
        let directory = try PluginDirectory()
        let build = try await directory.modelAlias()
        try directory.write(
            "cases.json",
            #"""
            {"config": {"aliases": {"fast": "mock/echo"}}, "cases": [
              {"name": "holds", "request": {"model": "fast", "messages": [{"role": "user", "content": "Hi"}]},
               "expect": {"upstream_model": "mock/echo"}},
              {"name": "does not hold", "request": {"model": "fast", "messages": [{"role": "user", "content": "Hi"}]},
               "expect": {"action": "respond", "status": 201, "headers": {"x-bifrost-model-alias": "slow"},
                          "upstream_parameters": {"temperature": 1}}}]}
            """#)
        let (status, output) = try await runBifrost([
            "plugins", "test", build, "--cases", directory.path + "/cases.json", "--log-level", "warning",
        ])
        #expect(status == 1, "\(output)")
        #expect(output.contains("✔ holds"))
        #expect(output.contains("✘ does not hold"))
        #expect(output.contains("    action: expected respond, got continue"), "\(output)")
        #expect(output.contains("    status: expected 201, got 200"))
        #expect(output.contains(#"    header x-bifrost-model-alias: expected "slow", got "fast""#))
        #expect(output.contains("    upstream parameter temperature: expected 1, got none"))
        #expect(output.contains("2 case(s): 1 passed, 1 failed"))
    }

    @Test(
        "a case file that cannot be used is refused naming the field",
        arguments: [
            (#"{"cases": []}"#, "cases: required: a non-empty array of cases"),
            (#"{"cases": [{"name": "x"}]}"#, "cases[0].request: required: the client's chat request"),
            (
                #"{"cases": [{"name": "x", "request": {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}, "expect": {"action": "maybe"}}]}"#,
                #"cases[0].expect.action: expected one of continue, respond, reject, fault, got "maybe""#
            ),
            (
                #"{"cases": [{"name": "x", "request": {"model": "m", "messages": []}, "expected": {}}]}"#,
                "cases[0].expected: unknown field"
            ),
        ])
    func unusableCaseFiles(text: String, message: String) async throws {
        let directory = try PluginDirectory()
        let build = try await directory.modelAlias()
        try directory.write("cases.json", text)
        let (status, output) = try await runBifrost(["plugins", "test", build, "--cases", directory.path + "/cases.json"])
        #expect(status == 2)
        #expect(output.contains("cases.json: \(message)"), "\(output)")
    }
}
