import Foundation

/// Compiles C plugin sources into real `.so` files for tests, with only the ABI header.
///
/// ```swift
/// let path = try await CPluginCompiler.compile(zoo: "tracer.c", as: "20-b.so", defines: ["PLUGIN_NAME": "\"b\""])
/// ```
public enum CPluginCompiler {
    /// The repository root, found from this file's path.
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The directory holding the built products (`bifrost`, `libTimingHeadersPlugin.so`).
    public static let productsDirectory: String = {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
    }()

    /// The directory holding `bifrost_plugin.h`.
    public static let headerDirectory = repositoryRoot + "/PluginSDK/CBifrostPlugin/include"

    /// The zoo of test plugins' sources.
    public static let zooDirectory = repositoryRoot + "/Tests/PluginZoo"

    /// A fresh temporary directory for one test.
    public static func temporaryDirectory(_ label: String = "bifrost-test") throws -> String {
        let path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A compiler failure with its output.
    public struct CompileError: Error, CustomStringConvertible {
        public var output: String
        public var description: String { "cc failed:\n\(output)" }
    }

    /// Compiles a zoo source into `directory/outputName` (a fresh temporary directory if nil).
    @discardableResult
    public static func compile(
        zoo source: String, as outputName: String, in directory: String? = nil, defines: [String: String] = [:]
    ) async throws -> String {
        try await compile(file: zooDirectory + "/" + source, as: outputName, in: directory, defines: defines)
    }

    /// Compiles any C file into a plugin the way the README tells authors to.
    @discardableResult
    public static func compile(
        file: String, as outputName: String, in directory: String? = nil, defines: [String: String] = [:]
    ) async throws -> String {
        var outputDirectory = directory ?? ""
        if directory == nil { outputDirectory = try temporaryDirectory() }
        let output = outputDirectory + "/" + outputName
        var arguments = ["-std=c99", "-Wall", "-Wextra", "-O1", "-shared", "-fPIC", "-fvisibility=hidden", "-I", headerDirectory]
        for (name, value) in defines.sorted(by: { $0.key < $1.key }) { arguments.append("-D\(name)=\(value)") }
        arguments += ["-o", output, file]
        let (status, text) = try await run("/usr/bin/cc", arguments)
        guard status == 0 else { throw CompileError(output: text) }
        return output
    }

    /// Runs a program and returns its exit status and combined output.
    ///
    /// The wait happens on a thread of its own: blocking one of the few threads of Swift's
    /// cooperative pool (two on this machine) would stall every other test running meanwhile.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws
        -> (Int32, String)
    {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: executable)
                    process.arguments = arguments
                    if let environment { process.environment = environment }
                    let pipe = Pipe()
                    process.standardOutput = pipe
                    process.standardError = pipe
                    try process.run()
                    let data = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
