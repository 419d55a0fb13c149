import BifrostCore
import CBifrostPlugin

extension NativeHost {
    /// The most state one instance may hand to its successor: `BIFROST_HANDED_STATE_MAX_BYTES`.
    static let handedStateLimit = 64 * 1024 * 1024

    static func installStateHandoffServices(_ api: inout bifrost_host_api) {
        api.state_write = { writer, bytes in
            StateWriters.shared.append(bytes, to: writer)
        }
        api.get_handed_state = { token, out in
            guard let identity = PluginIdentity.resolve(token) else { return BIFROST_ERR_INVALID_HANDLE }
            guard identity.isCreating else {
                identity.log(
                    level: BIFROST_LOG_ERROR, message: "get_handed_state is only allowed while bifrost_plugin_create runs")
                return BIFROST_ERR_WRONG_STATE
            }
            guard let out else {
                identity.log(level: BIFROST_LOG_ERROR, message: "get_handed_state: output pointer is NULL")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            guard let state = identity.handedState else { return BIFROST_ERR_NOT_FOUND }
            out.pointee = bifrost_bytes(
                ptr: state.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), len: state.bytes.count)
            return BIFROST_OK
        }
    }
}

/// State bytes handed to a plugin's `bifrost_plugin_create`, at an address that stays put
/// until create returns (`get_handed_state` lends them).
final class HandedStateBytes: @unchecked Sendable {
    // Written once in init, then only read; freed with the object.
    let bytes: UnsafeMutableRawBufferPointer

    init(_ state: [UInt8]) {
        bytes = .allocate(byteCount: state.count, alignment: 16)
        state.withUnsafeBytes { bytes.copyMemory(from: $0) }
    }

    deinit { bytes.deallocate() }
}

/// The writers of `export_state` calls in progress. A `bifrost_state_writer` handle is a
/// number, never an address: a plugin that keeps one past its call, or passes garbage, finds
/// no writer and gets `BIFROST_ERR_INVALID_HANDLE`, and nothing is dereferenced.
final class StateWriters: Sendable {
    static let shared = StateWriters()

    private struct Writer {
        var bytes: [UInt8] = []
        var overflowed = false
    }

    private struct Table {
        var next: UInt = 1
        var open: [UInt: Writer] = [:]
    }

    private let table = LockedValue(Table())

    /// Runs `export` with a fresh writer's handle and returns what was written, and whether a
    /// write was refused for going past the limit.
    func collect(_ export: (OpaquePointer) -> bifrost_status) -> (status: bifrost_status, bytes: [UInt8], overflowed: Bool) {
        let key = table.withLock { table -> UInt in
            let key = table.next
            table.next += 1
            table.open[key] = Writer()
            return key
        }
        let status = export(OpaquePointer(bitPattern: key)!)
        let writer = table.withLock { $0.open.removeValue(forKey: key)! }
        return (status, writer.bytes, writer.overflowed)
    }

    func append(_ piece: bifrost_bytes, to handle: OpaquePointer?) -> bifrost_status {
        let key = UInt(bitPattern: handle)
        if piece.len > 0, piece.ptr == nil {
            return table.withLock { $0.open[key] == nil } ? BIFROST_ERR_INVALID_HANDLE : BIFROST_ERR_INVALID_ARGUMENT
        }
        return table.withLock { table in
            guard var writer = table.open[key] else { return BIFROST_ERR_INVALID_HANDLE }
            guard piece.len <= NativeHost.handedStateLimit - writer.bytes.count else {
                writer.overflowed = true
                table.open[key] = writer
                return BIFROST_ERR_TOO_LARGE
            }
            // Take the writer out while appending so its buffer is not copied.
            table.open[key] = nil
            writer.bytes.append(contentsOf: UnsafeBufferPointer(start: piece.ptr, count: piece.len))
            table.open[key] = writer
            return BIFROST_OK
        }
    }
}
