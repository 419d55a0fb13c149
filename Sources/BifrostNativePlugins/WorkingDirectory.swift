import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps the process's working directory where it was across a plugin's create: a plugin that
/// calls `chdir` would otherwise move every relative path the gateway resolves later.
enum WorkingDirectory {
    /// Runs `body`; if it changed the working directory, changes it back and says so.
    static func preserved<Result>(for source: String, logger: Logger, _ body: () -> Result) -> Result {
        let before = current()
        let saved = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { if saved >= 0 { close(saved) } }
        let result = body()
        if let before, current() != before, saved >= 0, fchdir(saved) == 0 {
            logger.warning("\(source): the plugin changed the working directory while it was created; changed back to \(before)")
        }
        return result
    }

    private static func current() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
