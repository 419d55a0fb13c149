import BifrostTestSupport
import Foundation
import Testing

@Suite("The README's library example")
struct QuickstartTests {
    static let source = CPluginCompiler.repositoryRoot + "/Examples/LibraryQuickstart/main.swift"

    /// The built products: the test bundle sits beside the executables.
    static let productsDirectory =
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path

    @Test func theReadmeShowsExactlyTheExampleProgram() throws {
        let readme = try String(contentsOfFile: CPluginCompiler.repositoryRoot + "/README.md", encoding: .utf8)
        let program = try String(contentsOfFile: Self.source, encoding: .utf8)
        let section = try #require(readme.range(of: "## Use it as a library"))
        let rest = readme[section.upperBound...]
        let start = try #require(rest.range(of: "```swift\nimport BifrostCore\n"))
        let body = rest[rest.index(start.lowerBound, offsetBy: "```swift\n".count)...]
        let end = try #require(body.range(of: "\n```\n"))
        #expect(String(body[..<end.lowerBound]) + "\n" == program)
    }

    @Test func theExampleRunsAgainstTheMockWithTheModelAliasPlugin() async throws {
        let executable = Self.productsDirectory + "/LibraryQuickstart"
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the LibraryQuickstart product first")
        let plugin = try await CPluginCompiler.compile(
            file: CPluginCompiler.repositoryRoot + "/ExamplePlugins/model-alias/model_alias.c", as: "model_alias.so")
        let (status, output) = try await within(.seconds(60)) { try await CPluginCompiler.run(executable, [plugin]) }
        #expect(status == 0, "\(output)")
        #expect(output == "Echo: Hello from a library\nasked for fast, answered by mock/echo\nEcho: one two three\n")
    }
}
