import BifrostPluginTesting
import BifrostTestSupport
import Testing

/// The SDK's testing kit, `BifrostPluginTesting.PluginCases`, as a plugin's own tests use it:
/// a real build, the real runner. In `PluginCasesTests`, so it runs where that suite does.
extension PluginCasesTests {
    static let bifrost = productsDirectory + "/bifrost"

    @Test("the kit runs a built plugin's case file through bifrost plugins test and reports every case")
    func kitReportsEveryCase() async throws {
        let directory = try PluginDirectory()
        let build = try await directory.modelAlias()
        let report = try PluginCases(library: build, cases: Self.modelAliasCases, bifrost: Self.bifrost).run()
        #expect(report.results.count == 6, "\(report.output)")
        #expect(report.failed.isEmpty, "\(report.output)")
        #expect(report.results.first?.name == "an alias is rewritten before dispatch and named in the answer")
    }

    @Test("the kit names a failing case and each thing that did not hold")
    func kitNamesAFailingCase() async throws {
        let directory = try PluginDirectory()
        let build = try await directory.modelAlias()
        try directory.write(
            "cases.json",
            #"""
            {"config": {"aliases": {"fast": "mock/echo"}}, "cases": [
              {"name": "holds", "request": {"model": "fast", "messages": [{"role": "user", "content": "Hi"}]},
               "expect": {"upstream_model": "mock/echo"}},
              {"name": "does not hold", "request": {"model": "fast", "messages": [{"role": "user", "content": "Hi"}]},
               "expect": {"action": "respond", "status": 201}}]}
            """#)
        let report = try PluginCases(library: build, cases: directory.path + "/cases.json", bifrost: Self.bifrost).run()
        #expect(
            report.failed == [
                PluginCases.Result(
                    name: "does not hold",
                    failures: ["action: expected respond, got continue", "status: expected 201, got 200"])
            ], "\(report.output)")
        #expect(report.results.map(\.name) == ["holds", "does not hold"])
    }

    @Test("a run that cannot happen is thrown with its code: an unusable case file, a missing library")
    func kitThrowsWhatCannotRun() async throws {
        let directory = try PluginDirectory()
        let build = try await directory.modelAlias()
        try directory.write("cases.json", #"{"cases": []}"#)
        let refused = #expect(throws: PluginCasesError.self) {
            try PluginCases(library: build, cases: directory.path + "/cases.json", bifrost: Self.bifrost).run()
        }
        #expect(refused?.code == .refused)
        #expect(refused?.output.contains("cases: required: a non-empty array of cases") == true, "\(String(describing: refused))")
        let missing = #expect(throws: PluginCasesError.self) {
            try PluginCases(library: directory.path + "/absent.so", cases: Self.modelAliasCases, bifrost: Self.bifrost).run()
        }
        #expect(missing?.code == .libraryNotFound)
    }
}
