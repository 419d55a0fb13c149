import BifrostCore

#if canImport(Glibc)
    import Glibc
#endif

/// Where plugin files are copied before they are opened, named by their content.
///
/// The loader opens the copy, never the file in the plugin directory, so writing over that
/// file (`cp new.so plugins/10-budget.so`, a rebuild) cannot change code that is mapped: the
/// mapping belongs to the copy. The copy's name holds the content's SHA-256, so the same
/// content opened twice is the same library, and changed content is always a new one.
/// Nothing outlives an opening: the copy and the store's directory are removed once the copy
/// is mapped, so a process leaves no trace in `$TMPDIR` however it ends.
final class PluginFileStore: Sendable {
    /// A plugin file copied for opening.
    struct Staged {
        /// The copy's path, valid only inside ``PluginFileStore/withCopy(of:_:)``.
        var path: String
        /// The SHA-256 of the content, in hexadecimal.
        var hash: String
    }

    /// The process's store, in a private directory under `$TMPDIR` (or `/tmp`).
    static let shared = PluginFileStore()

    private let directory: String
    /// Held from the directory's creation to its removal, so no opening removes it under another.
    private let openings = LockedValue(())

    private init() {
        let base = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        directory = "\(base)/bifrost-plugins-\(getuid())-\(getpid())"
    }

    /// The SHA-256 of `file`'s content, in hexadecimal.
    func contentHash(of file: String) throws(PluginLoadError) -> String {
        SHA256.hexDigest(of: try Self.bytes(of: file))
    }

    /// Copies `file` into the store under its content's name, runs `open` on the copy, and then
    /// removes the copy and the directory: what `open` mapped stays mapped.
    func withCopy<Result>(of file: String, _ open: (Staged) -> Result) throws(PluginLoadError) -> Result {
        try openings.withLock { _ throws(PluginLoadError) in
            let staged = try stage(file)
            defer {
                unlink(staged.path)
                rmdir(directory)
            }
            return open(staged)
        }
    }

    private func stage(_ file: String) throws(PluginLoadError) -> Staged {
        let bytes = try Self.bytes(of: file)
        let hash = SHA256.hexDigest(of: bytes)
        let name = file.split(separator: "/").last.map(String.init) ?? "plugin.so"
        let path = "\(directory)/\(hash.prefix(16))-\(name)"
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw PluginLoadError(
                file: file, kind: .notLoadable,
                reason: "cannot create the private plugin directory \(directory): \(String(cString: strerror(errno)))")
        }
        // Written under a temporary name and renamed, so no one ever opens a partial copy.
        let temporary = "\(path).\(UInt64.random(in: 0...UInt64.max)).partial"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o500)
        guard descriptor >= 0 else {
            throw PluginLoadError(
                file: file, kind: .notLoadable,
                reason: "cannot copy the plugin into \(directory): \(String(cString: strerror(errno)))")
        }
        var written = 0
        let complete = bytes.withUnsafeBytes { buffer -> Bool in
            while written < buffer.count {
                let count = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                written += count
            }
            return true
        }
        close(descriptor)
        guard complete, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw PluginLoadError(
                file: file, kind: .notLoadable, reason: "cannot copy the plugin into \(directory): \(reason)")
        }
        return Staged(path: path, hash: hash)
    }

    private static func bytes(of file: String) throws(PluginLoadError) -> [UInt8] {
        guard let bytes = contents(of: file) else {
            throw PluginLoadError(
                file: file, kind: .fileNotFound, reason: "cannot read the file: \(String(cString: strerror(errno)))")
        }
        return bytes
    }

    private static func contents(of path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }
}
