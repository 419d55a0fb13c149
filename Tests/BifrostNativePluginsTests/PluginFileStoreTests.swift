import BifrostCore
import BifrostNativePlugins
import BifrostTestSupport
import Foundation
import Testing

@Suite("plugin files are opened from private copies named by their content")
struct PluginFileStoreTests {
    @Test("writing over a loaded file in place (cp, a rebuild) changes nothing the host runs")
    func overwritingALoadedFile() async throws {
        let directory = try CPluginCompiler.temporaryDirectory("overwrite")
        let file = try await CPluginCompiler.compile(
            zoo: "tracer.c", as: "10-trace.so", in: directory, defines: ["PLUGIN_NAME": "\"first\""])
        let plugin = try PluginLoader.load(file: file)
        #expect(trace(of: await runChain([plugin])) != nil)
        // `cp` truncates and rewrites the file that is loaded: with the file mapped, the next
        // call would run whatever now sits at the hook's address.
        let replacement = try await CPluginCompiler.compile(
            zoo: "noop.c", as: "other.so", in: directory, defines: ["PLUGIN_NAME": "\"second\""])
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: try Data(contentsOf: URL(fileURLWithPath: replacement)))
        try handle.close()
        for _ in 0..<3 { #expect(trace(of: await runChain([plugin])) != nil, "the loaded code is the copy's") }
        let reloaded = try PluginLoader.load(file: file)
        #expect(reloaded.descriptor.name == "second", "the new content is a new library")
        #expect(reloaded.descriptor.contentHash != plugin.descriptor.contentHash)
        #expect(plugin.descriptor.contentHash?.count == 64)
        plugin.shutdown()
        reloaded.shutdown()
    }

    @Test("the content hash is SHA-256 of the file, as sha256sum prints it")
    func theHashIsTheFilesSHA256() async throws {
        let file = try await CPluginCompiler.compile(zoo: "noop.c", as: "hashed.so", defines: ["PLUGIN_NAME": "\"hashed\""])
        let plugin = try PluginLoader.load(file: file)
        let (status, printed) = try await CPluginCompiler.run("/usr/bin/sha256sum", [file])
        #expect(status == 0)
        #expect(plugin.descriptor.contentHash == printed.split(separator: " ").first.map(String.init))
        plugin.shutdown()
    }

    @Test("a process that loaded plugins leaves nothing in its TMPDIR")
    func nothingIsLeftInTheTemporaryDirectory() async throws {
        let file = try await CPluginCompiler.compile(zoo: "noop.c", as: "10-left.so", defines: ["PLUGIN_NAME": "\"left\""])
        let temporary = try CPluginCompiler.temporaryDirectory("tmpdir")
        let (status, output) = try await CPluginCompiler.run(
            CPluginCompiler.productsDirectory + "/bifrost", ["plugins", "check", file], environment: ["TMPDIR": temporary])
        #expect(status == 0, "\(output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary) == [])
    }
}
