import BifrostCore
import Dispatch
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Watches a plugin directory with inotify and calls `onChange` once the `.so` and `.json`
/// files in it stop changing for the debounce time, so a file being written (`cp`, a build
/// writing in place) is reloaded once, when it is whole.
///
/// Its thread sleeps in `poll` until an event or the debounce time; dropping the watcher
/// wakes it through a pipe, and it closes its descriptors and ends.
final class PluginDirectoryWatcher: Sendable {
    /// The watch could not be set up.
    struct SetupError: Error, CustomStringConvertible {
        var directory: String
        var reason: String
        var description: String { "cannot watch \(directory) for plugin changes: \(reason)" }
    }

    private let stopWriter: Int32

    init(
        directory: String, debounce: Duration, logger: Logger, onChange: @escaping @Sendable () -> Void
    ) throws(SetupError) {
        let inotify = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard inotify >= 0 else { throw SetupError(directory: directory, reason: String(cString: strerror(errno))) }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE)
        guard inotify_add_watch(inotify, directory, mask) >= 0 else {
            let reason = String(cString: strerror(errno))
            close(inotify)
            throw SetupError(directory: directory, reason: reason)
        }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            let reason = String(cString: strerror(errno))
            close(inotify)
            throw SetupError(directory: directory, reason: reason)
        }
        stopWriter = pipeEnds[1]
        let stopReader = pipeEnds[0]
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let quiet = Int32(debounce.wholeMilliseconds)
        DispatchQueue(label: "bifrost.plugin-watcher").async {
            Self.watch(inotify: inotify, stop: stopReader, quietMilliseconds: quiet, logger: logger, onChange: onChange)
            close(inotify)
            close(stopReader)
        }
    }

    deinit {
        var byte: UInt8 = 1
        _ = write(stopWriter, &byte, 1)
        close(stopWriter)
    }

    private static func watch(
        inotify: Int32, stop: Int32, quietMilliseconds: Int32, logger: Logger, onChange: @Sendable () -> Void
    ) {
        var pending = false
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            var descriptors = [
                pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: stop, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&descriptors, 2, pending ? quietMilliseconds : -1)
            if ready < 0 {
                if errno == EINTR { continue }
                logger.error("the plugin watcher stopped: \(String(cString: strerror(errno)))")
                return
            }
            if descriptors[1].revents != 0 { return }
            if ready == 0 {
                pending = false
                onChange()
                continue
            }
            let count = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress!, $0.count) }
            if count > 0, Self.namesAPluginFile(buffer[0..<count]) { pending = true }
        }
    }

    /// Whether a batch of inotify events names a `.so` or `.json` file.
    private static func namesAPluginFile(_ events: ArraySlice<UInt8>) -> Bool {
        // struct inotify_event: wd, mask, cookie, len (4 bytes each), then len bytes of name.
        var offset = events.startIndex
        while offset + 16 <= events.endIndex {
            let length = events[(offset + 12)..<(offset + 16)].reversed().reduce(0) { $0 << 8 | Int($1) }
            let nameBytes = events[(offset + 16)..<min(events.endIndex, offset + 16 + length)].prefix { $0 != 0 }
            let name = String(decoding: nameBytes, as: UTF8.self)
            if name.hasSuffix(".so") || name.hasSuffix(".json") { return true }
            offset += 16 + length
        }
        return false
    }
}
