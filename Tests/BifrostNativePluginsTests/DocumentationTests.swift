import BifrostTestSupport
import CBifrostPlugin
import Foundation
import Testing

/// The documents say what the code does: the ABI version the guide states is the header's, and
/// every section a comment cites exists.
@Suite("documentation that stays true")
struct DocumentationTests {
    static func read(_ path: String) throws -> String {
        try String(contentsOfFile: CPluginCompiler.repositoryRoot + "/" + path, encoding: .utf8)
    }

    @Test("the guide and the header's own comment state the header's ABI version")
    func abiVersionIsStatedRightly() throws {
        let version = "\(BIFROST_ABI_VERSION_MAJOR).\(BIFROST_ABI_VERSION_MINOR)"
        let guide = try Self.read("PluginSDK/README.md")
        #expect(guide.contains("(ABI \(version);"), "PluginSDK/README.md should state ABI \(version) in its introduction")
        let header = try Self.read("PluginSDK/CBifrostPlugin/include/bifrost_plugin.h")
        #expect(
            header.contains("version \(BIFROST_ABI_VERSION_MAJOR) (minor \(BIFROST_ABI_VERSION_MINOR))"),
            "the header's first comment should name its own version")
    }

    @Test("every section of PluginSDK/DESIGN.md that a comment cites exists")
    func citedSectionsExist() throws {
        let design = try Self.read("PluginSDK/DESIGN.md")
        let sections = Set(
            design.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("## "), let number = line.dropFirst(3).split(separator: ".").first else { return nil }
                return String(number)
            })
        #expect(!sections.isEmpty)
        let root = CPluginCompiler.repositoryRoot
        let files = ["Sources", "Tests", "PluginSDK", "ExamplePlugins"].flatMap { folder in
            (FileManager.default.subpaths(atPath: root + "/" + folder) ?? []).map { folder + "/" + $0 }
        }
        var cited = 0
        for path in files where !path.contains("/target/") && !path.hasSuffix("DocumentationTests.swift") {
            guard path.hasSuffix(".swift") || path.hasSuffix(".c") || path.hasSuffix(".h") || path.hasSuffix(".rs") else {
                continue
            }
            let text = try String(contentsOfFile: root + "/" + path, encoding: .utf8)
            var rest = Substring(text)
            while let found = rest.range(of: "DESIGN.md §") {
                let number = rest[found.upperBound...].prefix { $0.isNumber }
                cited += 1
                #expect(sections.contains(String(number)), "\(path) cites DESIGN.md §\(number), which does not exist")
                #expect(
                    text[..<found.lowerBound].hasSuffix("PluginSDK/"),
                    "\(path) cites DESIGN.md without its path in the repository (PluginSDK/DESIGN.md)")
                rest = rest[found.upperBound...]
            }
        }
        #expect(cited > 0)
    }
}
